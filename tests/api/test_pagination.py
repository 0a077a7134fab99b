"""Keyset pagination of API lists: every row once, in order, whatever happens meanwhile."""

import base64
import json

import pytest

from apps.deployments import services
from apps.deployments.models import Deployment

URL = "/api/v1/deployments/"


@pytest.fixture
def client(api, deployer):
    return api(deployer)


@pytest.fixture
def deployments(deployer, team, environment, model_version) -> list[Deployment]:
    """Seven deployments, three of them stopped: states repeat across page boundaries."""
    made = [
        services.create_deployment(
            actor=deployer,
            team=team,
            environment=environment,
            name=f"svc-{index}",
            model_version=model_version,
        )
        for index in range(7)
    ]
    for deployment in made[1::2]:
        services.stop(deployment, actor=deployer)
    return made


def walk(client, url: str, *, link: str = "next") -> list[list[int]]:
    """The ids on each page, following `link` until it is null."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        url = body[link]
    return pages


def expected_order(ordering: list[str]) -> list[int]:
    return list(Deployment.objects.order_by(*ordering).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("query", "ordering"),
    [
        ("", ["-created_at", "-id"]),
        ("ordering=name", ["name", "id"]),
        ("ordering=-name", ["-name", "-id"]),
        ("ordering=state", ["state", "id"]),
        ("ordering=-state", ["-state", "-id"]),
    ],
)
def test_walking_the_next_links_gives_every_row_once_in_order(client, deployments, query, ordering):
    pages = walk(client, f"{URL}?page_size=3&{query}")
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [pk for page in pages for pk in page] == expected_order(ordering)


def test_walking_back_with_the_previous_links_gives_the_same_pages(client, deployments):
    forward = walk(client, f"{URL}?page_size=3&ordering=state")
    url, last = f"{URL}?page_size=3&ordering=state", None
    while url:  # to the last page
        last = client.get(url).json()
        url = last["next"]
    last_page = [row["id"] for row in last["results"]]
    backward = [last_page, *walk(client, last["previous"], link="previous")]
    assert backward == list(reversed(forward))


def test_the_first_page_has_no_previous_link(client, deployments):
    assert client.get(f"{URL}?page_size=3").json()["previous"] is None


def test_rows_created_or_deleted_while_walking_neither_repeat_nor_go_missing(
    client, deployments, deployer, team, environment, model_version
):
    first = client.get(f"{URL}?page_size=3&ordering=name").json()
    seen = [row["id"] for row in first["results"]]
    # A row sorting before the page already read, and the removal of one still ahead.
    services.create_deployment(
        actor=deployer,
        team=team,
        environment=environment,
        name="aaa-new",
        model_version=model_version,
    )
    ahead = Deployment.objects.get(name="svc-5")
    Deployment.objects.filter(pk=ahead.pk).delete()

    rest = [pk for page in walk(client, first["next"]) for pk in page]
    assert not set(seen) & set(rest)
    assert seen + rest == [
        pk
        for pk in expected_order(["name", "id"])
        if pk != Deployment.objects.get(name="aaa-new").pk
    ]


def test_a_page_size_outside_the_limits_is_refused_with_the_limits(client, deployments):
    for size in ("0", "201", "many", "-1"):
        response = client.get(f"{URL}?page_size={size}")
        assert response.status_code == 400, size
        assert response.json()["fields"] == {
            "page_size": ["Give a whole number from 1 to 200, e.g. 50."]
        }


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        _cursor(["a", "list"]),
        _cursor({"o": "-created_at,-id", "p": ["yesterday", 4], "b": False}),
        _cursor({"o": "-created_at,-id", "p": ["2026-01-01T00:00:00Z"], "b": False}),
        _cursor({"o": "-created_at,-id", "p": ["2026-01-01T00:00:00Z", {"id": 1}], "b": False}),
        _cursor({"o": "-created_at,-id", "p": ["2026-01-01T00:00:00Z", "x"], "b": False}),
    ],
)
def test_a_cursor_that_is_not_a_position_is_a_400_that_says_how_to_recover(
    client, deployments, cursor
):
    response = client.get(f"{URL}?cursor={cursor}")
    assert response.status_code == 400, response.content
    (message,) = response.json()["fields"]["cursor"]
    assert "leave `cursor` out to start at the first page" in message


def test_a_cursor_used_with_another_ordering_is_refused_by_name(client, deployments):
    next_url = client.get(f"{URL}?page_size=3&ordering=name").json()["next"]
    response = client.get(next_url.replace("ordering=name", "ordering=state"))
    assert response.status_code == 400
    (message,) = response.json()["fields"]["cursor"]
    assert "ordered by 'name,id', not by 'state,id'" in message


def test_filters_and_pages_combine(client, deployments):
    pages = walk(client, f"{URL}?page_size=2&state=stopped")
    stopped = {d.pk for d in Deployment.objects.filter(state="stopped")}
    assert [len(page) for page in pages] == [2, 1]
    assert {pk for page in pages for pk in page} == stopped
