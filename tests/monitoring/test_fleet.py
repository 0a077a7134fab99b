"""The fleet overview: one query per panel whatever the number of deployments."""

import pytest

from apps.monitoring import services
from apps.quotas.models import Quota
from tests.monitoring.conftest import LLAMA_P95, make_deployment, plotly

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


def _panel(dashboard, key):
    panel = next(p for p in dashboard.panels if p.key == key)
    assert panel.error == "", panel.error
    return panel


@pytest.fixture
def fleet(llama, bert, whisper, yolo):
    return [llama, bert, whisper, yolo]


def test_the_fleet_asks_one_query_per_panel_whatever_the_number_of_deployments(
    client, owner, team, environment, fleet, prometheus
):
    from django.core.cache import cache

    client.force_login(owner)
    before = prometheus.queries()
    assert client.get("/fleet/").status_code == 200
    few = prometheus.queries() - before

    for i in range(60):
        make_deployment(team, environment, f"extra-{i}", "vllm" if i % 2 else "triton")
    cache.clear()
    before = prometheus.queries()
    assert client.get("/fleet/").status_code == 200
    many = prometheus.queries() - before

    panels = len(services.fleet_dashboard(owner, "1h").panels)
    assert few == many == panels == 4


def test_every_deployment_of_the_viewer_has_a_utilization_row(owner, fleet, prometheus):
    dashboard = services.fleet_dashboard(owner, "1h", now=prometheus.end)
    heatmap = plotly(_panel(dashboard, "fleet_gpu_util").figure).data[0]
    # Busiest first; the other team's yolo and the non-Gantry sidecar are not shown.
    assert list(heatmap.y) == [
        "dev-nlp/llama",
        "dev-nlp/bert",
        "dev-nlp/whisper",
        "dev-nlp/llama (canary)",
    ]
    rows = dict(zip(heatmap.y, heatmap.z, strict=True))
    assert set(rows["dev-nlp/llama"]) == {60}
    assert set(rows["dev-nlp/bert"]) == {30}
    assert set(rows["dev-nlp/whisper"]) == {25}


def test_a_large_fleet_shows_its_busiest_rows_and_counts_the_others(
    owner, fleet, prometheus, monkeypatch
):
    from apps.monitoring import fleet as fleet_page

    monkeypatch.setattr(fleet_page, "HEATMAP_ROWS", 2)
    dashboard = services.fleet_dashboard(owner, "1h", now=prometheus.end)
    panel = _panel(dashboard, "fleet_gpu_util")
    figure = plotly(panel.figure)
    # Prometheus ranked them (the sidecar Gantry does not manage among the busiest), and
    # the lines of the two busiest it manages were asked by name; whisper and llama's
    # canary hold GPUs too.
    assert "(bert|llama)-[a-z0-9]+-[a-z0-9]+" in panel.queries[0]
    assert list(figure.data[0].y) == ["dev-nlp/llama", "dev-nlp/bert"]
    (note,) = figure.layout.annotations
    assert "The busiest 2 deployments over the last 1h; 2 more deployments hold GPUs" in (
        note.text.replace("<br>", " ")
    )


def test_the_other_team_sees_only_its_own(outsider, fleet, prometheus):
    dashboard = services.fleet_dashboard(outsider, "1h", now=prometheus.end)
    heatmap = plotly(_panel(dashboard, "fleet_gpu_util").figure).data[0]
    assert list(heatmap.y) == ["dev-vision/yolo"]
    assert set(heatmap.z[0]) == {70}


def test_top_gpu_consumers_rank_by_gpus_held(owner, fleet, prometheus):
    dashboard = services.fleet_dashboard(owner, "1h", now=prometheus.end)
    bars = plotly(_panel(dashboard, "fleet_gpu_top").figure).data[0]
    assert list(bars.y)[:2] == ["dev-nlp/llama", "dev-nlp/bert"]
    assert list(bars.x)[:2] == [3, 2]
    assert "mean utilization: 60.0 %" in bars.customdata[0]


def test_gpus_allocated_to_running_pods_against_the_team_quota(owner, team, fleet, prometheus):
    Quota.objects.create(team=team, gpus_total=8)
    dashboard = services.fleet_dashboard(owner, "1h", now=prometheus.end)
    allocated, quota = plotly(_panel(dashboard, "fleet_gpus_allocated").figure).data
    # Three running llama pods hold a GPU each, whisper's 1g.10gb slice a seventh of one;
    # the pending pod holds none yet.
    assert list(allocated.y) == ["nlp"]
    assert list(allocated.x) == [pytest.approx(3 + 1 / 7, rel=1e-12)]
    assert "= 22/7 GPUs (a MIG slice counts as its share of a GPU)" in allocated.customdata[0]
    assert list(quota.x) == [8]


def test_latency_outliers_stand_out_against_the_fleet_median(owner, fleet, prometheus):
    dashboard = services.fleet_dashboard(owner, "1h", now=prometheus.end)
    bars = plotly(_panel(dashboard, "fleet_latency_p95").figure).data[0]
    assert list(bars.y) == ["dev-nlp/llama", "dev-nlp/bert", "dev-nlp/whisper"]
    assert next(iter(bars.x)) == pytest.approx(LLAMA_P95, rel=1e-9)
    highlighted = [c != "rgba(0,0,0,0)" for c in bars.marker.line.color]
    assert highlighted == [True, False, False]


def test_a_deployment_has_the_same_color_in_every_fleet_panel(owner, fleet, prometheus):
    dashboard = services.fleet_dashboard(owner, "1h", now=prometheus.end)
    top = plotly(_panel(dashboard, "fleet_gpu_top").figure).data[0]
    slow = plotly(_panel(dashboard, "fleet_latency_p95").figure).data[0]
    color = dict(zip(top.y, top.marker.color, strict=True))
    assert (
        dict(zip(slow.y, slow.marker.color, strict=True))["dev-nlp/llama"] == color["dev-nlp/llama"]
    )


def test_answers_are_shared_by_viewers_for_a_few_seconds(owner, teammate, fleet, prometheus):
    services.fleet_dashboard(owner, "1h", now=prometheus.end)
    before = prometheus.queries()
    services.fleet_dashboard(teammate, "1h", now=prometheus.end)
    assert prometheus.queries() == before


def test_a_viewer_without_deployments_is_told_so(db, prometheus):
    from tests import factories

    loner = factories.UserFactory(username="loner")
    dashboard = services.fleet_dashboard(loner, "1h", now=prometheus.end)
    heatmap = next(p for p in dashboard.panels if p.key == "fleet_gpu_util")
    assert "your teams have no deployments yet" in plotly(heatmap.figure).layout.annotations[0].text
