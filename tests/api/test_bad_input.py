"""Input that once crashed the API answers 400 in the error shape, never 500."""

import base64
import json

import pytest

from apps.accounts.services import create_token
from apps.registry.models import ModelVersion

SHAPE = {"error", "detail", "fields"}


@pytest.fixture
def client(api, deployer):
    return api(deployer)


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_renaming_an_unused_version_through_the_api_works(client, model_version):
    url = f"/api/v1/models/{model_version.model_id}/versions/{model_version.pk}/"
    response = client.patch(url, {"version": "v1-renamed"}, format="json")
    assert response.status_code == 200, response.content
    assert ModelVersion.objects.get(pk=model_version.pk).version == "v1-renamed"


def test_renaming_a_version_in_use_is_refused_on_the_field(client, deployment):
    version = deployment.model_version
    url = f"/api/v1/models/{version.model_id}/versions/{version.pk}/"
    response = client.patch(url, {"version": "other"}, format="json")
    assert response.status_code == 400, response.content
    assert "register a new version instead" in response.json()["fields"]["version"][0]


def test_renaming_a_version_to_a_taken_label_is_refused_on_the_field(client, model_version):
    ModelVersion.objects.create(
        model=model_version.model, version="v9", artifact_uri="s3://bucket/k"
    )
    url = f"/api/v1/models/{model_version.model_id}/versions/{model_version.pk}/"
    response = client.patch(url, {"version": "v9"}, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == SHAPE
    assert ModelVersion.objects.get(pk=model_version.pk).version != "v9"


def test_a_deeply_nested_body_is_a_parse_error(client):
    body = '{"name": ' + "[" * 1000 + "]" * 1000 + "}"
    response = client.post("/api/v1/models/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "parse_error"
    assert "nested" in response.json()["detail"]


def test_a_lone_surrogate_in_a_string_is_a_parse_error(client, team):
    body = '{"team": ' + str(team.pk) + ', "name": "x", "description": "\\ud800"}'
    response = client.post("/api/v1/models/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "parse_error"
    assert "UTF-8" in response.json()["detail"]


@pytest.mark.parametrize("size", ["²", "١٢", "1" * 5000, " 3"])
def test_a_page_size_of_non_ascii_digits_is_refused(client, size):
    response = client.get("/api/v1/models/", {"page_size": size})
    assert response.status_code == 400, response.content
    assert response.json()["fields"] == {
        "page_size": ["Give a whole number from 1 to 200, e.g. 50."]
    }


@pytest.mark.parametrize(
    "position",
    [
        ["2026-01-01T00:00:00Z", 1e999],
        ["9999-12-31T23:59:59-05:00", 1],
        ["0001-01-01T00:00:00+05:00", 1],
        ["2026-01-01T00:00:00Z", 2**70],
    ],
)
def test_a_cursor_with_an_out_of_range_value_is_refused(client, deployment, position):
    cursor = _cursor({"o": "-created_at,-id", "p": position, "b": False})
    response = client.get("/api/v1/deployments/", {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert "leave `cursor` out" in response.json()["fields"]["cursor"][0]


@pytest.mark.parametrize(
    ("url", "ordering"),
    [
        ("/api/v1/teams/{team}/members/", "user__username"),
        ("/api/v1/tokens/", "last_used_at"),
        ("/api/v1/tokens/", "-revoked_at"),
        ("/api/v1/deployments/", "nothing"),
    ],
)
def test_an_ordering_the_list_cannot_sort_by_is_refused_with_the_choices(
    client, deployer, owner, team, url, ordering
):
    # Two rows and pages of one, so a position (cursor) is made from the sort column.
    create_token(actor=None, user=deployer, name="second")
    response = client.get(url.format(team=team.pk), {"ordering": ordering, "page_size": 1})
    assert response.status_code == 400, response.content
    (message,) = response.json()["fields"]["ordering"]
    assert "e.g." in message


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/deployments/", "team"),
        ("/api/v1/deployments/", "model"),
        ("/api/v1/models/", "team"),
        ("/api/v1/events/", "deployment"),
    ],
)
def test_an_id_filter_beyond_64_bits_is_refused(client, deployment, url, name):
    response = client.get(url, {name: "99999999999999999999999"})
    assert response.status_code == 400, response.content
    assert name in response.json()["fields"]
