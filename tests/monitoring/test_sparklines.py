"""The deployments list's GPU sparklines: one query for the page's rows, scoped like the list."""

import pytest

from apps.monitoring.sparklines import page_sparklines, parse_ids
from tests.monitoring.conftest import make_deployment

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


@pytest.fixture
def rows(llama, bert, whisper, yolo):
    return [llama, bert, whisper, yolo]


def test_one_query_for_the_pages_rows_whatever_their_number(
    client, owner, team, environment, rows, prometheus
):
    from django.core.cache import cache

    extra = [make_deployment(team, environment, f"extra-{i}") for i in range(40)]
    client.force_login(owner)
    ids = ",".join(str(d.pk) for d in [*rows, *extra])
    before = prometheus.queries()
    response = client.get(f"/fleet/sparklines/?ids={ids}")
    assert response.status_code == 200
    assert prometheus.queries() - before == 1, "one range query for all the page's rows"
    cache.clear()


def test_a_rows_line_is_its_mean_utilization(owner, llama, bert, prometheus):
    sparks = page_sparklines(owner, [llama.pk, bert.pk], now=prometheus.end)
    assert sparks[llama.pk].last == 60  # pods at 30, 60 and 90 %
    ys = {float(point.split(",")[1]) for point in sparks[llama.pk].points.split()}
    assert ys == {9.6}, "60 % is drawn at 60 % of the 24 px box, 9.6 px from its top"


def test_another_teams_rows_are_skipped(outsider, llama, yolo, prometheus):
    sparks = page_sparklines(outsider, [llama.pk, yolo.pk], now=prometheus.end)
    assert set(sparks) == {yolo.pk}


def test_ids_that_are_not_numbers_are_left_out():
    assert parse_ids("3,x,-1,²,4") == [3, 4]
