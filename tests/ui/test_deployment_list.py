"""The deployments list page: keyset pages, the API's filters, scoping, constant queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.deployments.models import Deployment
from tests import factories

pytestmark = pytest.mark.django_db

LIST = "/deployments/"
ROW_LINK = re.compile(r'<th scope="row"><a href="/deployments/(\d+)/">')


def bulk(team, environment, version, count, *, start=0, **fields):
    rows = [
        Deployment(
            team=team,
            environment=environment,
            model_version=version,
            name=f"d{i:05d}",
            **fields,
        )
        for i in range(start, start + count)
    ]
    return Deployment.objects.bulk_create(rows)


def ids_on(response) -> list[int]:
    return [int(pk) for pk in ROW_LINK.findall(response.content.decode())]


def next_link(response) -> str | None:
    match = re.search(r'<a rel="next" href="([^"]+)"', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def fleet(team, environment, model_version):
    return bulk(team, environment, model_version, 120)


def test_it_pages_with_a_cursor_and_no_count(client, teammate, fleet):
    client.force_login(teammate)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(LIST)
    assert first.status_code == 200
    assert len(ids_on(first)) == 50
    assert not any("COUNT(" in q["sql"].upper() for q in queries), "the list must not count rows"
    assert not any("OFFSET" in q["sql"].upper() for q in queries), "the list must not use OFFSET"
    seen, url = [], LIST
    while url:
        page = client.get(url)
        seen += ids_on(page)
        url = next_link(page)
    assert sorted(seen) == sorted(d.pk for d in fleet), "walking every page shows each row once"


def test_pages_stay_stable_while_deployments_are_created(
    client, teammate, team, environment, model_version, fleet
):
    client.force_login(teammate)
    first = client.get(f"{LIST}?ordering=name")
    second_url = next_link(first)
    bulk(team, environment, model_version, 30, start=5000)  # new rows, sorted after all
    before_all = [
        Deployment.objects.create(
            team=team, environment=environment, model_version=model_version, name=f"a{i}"
        )
        for i in range(3)
    ]  # sorted before the first page's rows
    second = client.get(second_url)
    names = [Deployment.objects.get(pk=pk).name for pk in ids_on(second)]
    assert names == [f"d{i:05d}" for i in range(50, 100)], (
        "the second page starts after the first page's last row, whatever was inserted"
    )
    assert not set(ids_on(second)) & {d.pk for d in before_all}


def test_filters_are_the_apis(client, teammate, team, environment, model_version, fleet):
    running = fleet[:40]
    Deployment.objects.filter(pk__in=[d.pk for d in fleet[40:]]).update(state="stopped")
    Deployment.objects.filter(pk__in=[d.pk for d in running[:7]]).update(
        conditions=[{"type": "Degraded", "status": "True", "reason": "CrashLoopBackOff"}]
    )
    client.force_login(teammate)
    for query in (
        "state=running",
        "condition=degraded",
        "condition=not_available&state=running",
        "name=d0001",
        f"team={team.pk}&environment={environment.pk}",
    ):
        page_ids = ids_on(client.get(f"{LIST}?{query}&page_size=200"))
        api = client.get(f"/api/v1/deployments/?{query}&page_size=200").json()
        assert page_ids == [row["id"] for row in api["results"]], f"?{query} differs from the API"
    assert len(ids_on(client.get(f"{LIST}?condition=degraded"))) == 7


def test_a_bad_filter_says_what_is_wrong(client, teammate, fleet):
    client.force_login(teammate)
    response = client.get(f"{LIST}?team=abc&ordering=colour")
    assert response.status_code == 400
    assert "is not a sort order" in response.content.decode()
    response = client.get(f"{LIST}?cursor=nonsense")
    assert response.status_code == 400
    assert "The cursor is not valid" in response.content.decode()


def test_an_outsider_sees_none_of_the_teams_rows(client, outsider, fleet):
    client.force_login(outsider)
    response = client.get(LIST)
    assert ids_on(response) == []
    assert "Your teams have no deployments yet" in response.content.decode()
    ids = ",".join(str(d.pk) for d in fleet[:5])
    sparks = client.get(f"/fleet/sparklines/?ids={ids}")
    assert sparks.content.strip() == b"", "another team's rows get no sparkline"


def test_an_htmx_request_gets_only_the_table(client, teammate, fleet):
    client.force_login(teammate)
    response = client.get(f"{LIST}?state=running", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.startswith('<section id="fleet-table"'), "htmx swaps the table alone"
    assert "<form" not in body
    assert "HX-Request" in response["Vary"], "caches keep fragments apart from pages"


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(LIST)["Location"].startswith("/login/")


@pytest.mark.parametrize("sort", ["-created_at", "name", "state"])
def test_queries_do_not_grow_with_the_fleet(
    client, teammate, team, other_team, environment, model_version, sort
):
    environment.teams.add(other_team)
    theirs = factories.ModelVersionFactory(model__team=other_team)
    bulk(team, environment, model_version, 100)
    client.force_login(teammate)
    url = f"{LIST}?ordering={sort}&state=running&condition=not_available"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    bulk(team, environment, model_version, 1800, start=100)
    bulk(other_team, environment, theirs, 200, start=5000)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(ids_on(response)) == 50
    assert len(large) == len(small), "SQL queries per page must not grow with the fleet"
