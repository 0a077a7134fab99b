"""A deployment's panels carry exactly the values backfilled into a real Prometheus."""

import pytest

from apps.monitoring import prometheus, services
from tests.monitoring.conftest import BERT_P95, LLAMA_P50, LLAMA_P95, LLAMA_P99, plotly

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


def _panel(dashboard, key):
    return next(p for p in dashboard.panels if p.key == key)


def _traces(panel):
    """Legend name -> the distinct values of that line."""
    assert panel.error == "", panel.error
    return {trace.name: set(trace.y) for trace in plotly(panel.figure).data}


def _constant(panel, name, expected):
    """The line `name` holds `expected` at every point (up to float rounding)."""
    trace = next(t for t in plotly(panel.figure).data if t.name == name)
    assert list(trace.y) == pytest.approx([expected] * len(trace.y), rel=1e-9), name


def test_gpu_utilization_is_the_mean_and_max_over_three_pods(llama, prometheus):
    dashboard = services.deployment_dashboard(llama, "1h", now=prometheus.end)
    traces = _traces(_panel(dashboard, "gpu_util"))
    assert traces["mean of pods"] == {60}
    assert traces["busiest pod"] == {90}


def test_the_canary_has_its_own_lines(llama, prometheus):
    dashboard = services.deployment_dashboard(llama, "1h", now=prometheus.end)
    traces = _traces(_panel(dashboard, "gpu_util"))
    assert traces["mean of pods (canary)"] == {10}


def test_pods_are_matched_in_both_dcgm_label_forms(bert, prometheus):
    dashboard = services.deployment_dashboard(bert, "1h", now=prometheus.end)
    traces = _traces(_panel(dashboard, "gpu_util"))
    # 20 % seen as exported_pod/exported_namespace, 40 % as pod/namespace.
    assert traces["mean of pods"] == {30}
    assert traces["busiest pod"] == {40}


def test_mig_slices_are_measured_by_graphics_engine_activity(whisper, prometheus):
    dashboard = services.deployment_dashboard(whisper, "1h", now=prometheus.end)
    traces = _traces(_panel(dashboard, "gpu_util"))
    assert traces["mean of pods"] == {25}


def test_gpu_memory_is_summed_over_the_pods_in_gib(llama, prometheus):
    dashboard = services.deployment_dashboard(llama, "1h", now=prometheus.end)
    panel = _panel(dashboard, "gpu_memory")
    assert _traces(panel) == {"llama": {6.0}}
    assert plotly(panel.figure).layout.yaxis.title.text == "memory (GiB)"


def test_latency_quantiles_of_a_known_vllm_histogram(llama, prometheus):
    dashboard = services.deployment_dashboard(llama, "1h", now=prometheus.end)
    panel = _panel(dashboard, "latency")
    assert [t.name for t in plotly(panel.figure).data] == ["p50", "p95", "p99"]
    for name, expected in [("p50", LLAMA_P50), ("p95", LLAMA_P95), ("p99", LLAMA_P99)]:
        _constant(panel, name, expected)


def test_latency_of_a_generic_http_histogram(bert, prometheus):
    dashboard = services.deployment_dashboard(bert, "1h", now=prometheus.end)
    _constant(_panel(dashboard, "latency"), "p95", BERT_P95)


def test_request_rate_and_error_share(llama, prometheus):
    dashboard = services.deployment_dashboard(llama, "1h", now=prometheus.end)
    _constant(_panel(dashboard, "requests"), "llama", 200)
    _constant(_panel(dashboard, "error_ratio"), "llama", 1.0)


def test_replicas_desired_available_and_what_the_autoscaler_wants(llama, prometheus):
    dashboard = services.deployment_dashboard(llama, "1h", now=prometheus.end)
    traces = _traces(_panel(dashboard, "replicas"))
    assert traces == {"desired": {3}, "available": {2}, "autoscaler wants": {4}}


def test_a_series_over_an_hour_has_a_point_every_15_seconds(llama, prometheus):
    dashboard = services.deployment_dashboard(llama, "1h", now=prometheus.end)
    panel = _panel(dashboard, "gpu_util")
    assert dashboard.window.step == 15
    assert {len(trace.y) for trace in plotly(panel.figure).data} == {241}


@pytest.mark.parametrize("range_name", list(prometheus.RANGES))
def test_no_range_asks_for_more_than_300_points_a_series(range_name):
    win = prometheus.window(range_name, now=1_800_000_000)
    assert win.points <= 301
    assert win.end % win.step == 0


def test_a_gpu_panel_of_a_deployment_without_gpus_says_why(team, environment, prometheus):
    from tests.monitoring.conftest import make_deployment

    cpu_only = make_deployment(team, environment, "ranker", "triton", gpu_count=0)
    dashboard = services.deployment_dashboard(cpu_only, "1h", now=prometheus.end)
    panel = _panel(dashboard, "gpu_util")
    assert panel.note == "No data: ranker asks for no GPU."
    assert panel.queries == []  # no query spent on a certain "no data"
    assert "asks for no GPU" in plotly(panel.figure).layout.annotations[0].text


def test_an_empty_panel_says_there_is_no_data_and_why(team, environment, prometheus):
    from tests.monitoring.conftest import make_deployment

    quiet = make_deployment(team, environment, "quiet", "vllm")
    dashboard = services.deployment_dashboard(quiet, "1h", now=prometheus.end + 7200)
    panel = _panel(dashboard, "latency")
    assert panel.error == ""
    assert panel.note.startswith("No data")
    assert plotly(panel.figure).data == ()
    assert "No data" in plotly(panel.figure).layout.annotations[0].text


@pytest.fixture
def stopped_redis_cache(settings, tmp_path):
    """The shared cache pointed at a real Redis server that has since been stopped."""
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts/services/redis.sh"
    url = subprocess.run(
        ["bash", script, "start", tmp_path / "redis"], check=True, capture_output=True, text=True
    ).stdout.strip()
    subprocess.run(["bash", script, "stop", tmp_path / "redis"], check=True)
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": url},
    }
    return url


def test_a_cache_outage_costs_speed_not_the_panels(llama, prometheus, stopped_redis_cache, caplog):
    with caplog.at_level("WARNING"):
        dashboard = services.deployment_dashboard(llama, "1h", now=prometheus.end)
    assert "mean of pods" in _traces(_panel(dashboard, "gpu_util"))
    assert "Redis is unreachable" in caplog.text
