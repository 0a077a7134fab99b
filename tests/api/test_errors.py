"""Every failure answers in one shape: {"error", "detail", "fields"}."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from apps.accounts.authentication import parse_rate

SHAPE = {"error", "detail", "fields"}


@pytest.fixture
def client(api, deployer):
    return api(deployer)


def test_an_unknown_api_path_is_a_404_in_the_error_shape(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert set(response.json()) == SHAPE


def test_a_wrong_method_is_a_405(client):
    response = client.delete("/api/v1/teams/")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_malformed_json_is_a_400_parse_error(client):
    response = client.post("/api/v1/models/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"


def test_a_form_body_is_a_415(client):
    response = client.post("/api/v1/models/", "name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


def test_a_body_over_the_limit_is_a_413_before_it_is_read(client, settings):
    settings.GANTRY_API_MAX_BODY_BYTES = 2048
    body = {"name": "x", "description": "y" * 4096}
    response = client.post("/api/v1/models/", body, format="json")
    assert response.status_code == 413
    error = response.json()
    assert (error["error"], error["fields"]) == ("too_large", {})
    assert error["detail"].endswith("bytes; the API accepts at most 2048 bytes.")


def test_a_body_without_a_numeric_length_is_refused(client):
    response = client.post(
        "/api/v1/models/", "{}", content_type="application/json", CONTENT_LENGTH="lots"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_length"


def test_too_many_requests_with_one_token_is_a_429_with_retry_after(client, settings):
    settings.GANTRY_API_THROTTLE_RATE = "3/hour"
    statuses = [client.get("/api/v1/teams/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/teams/")
    assert response.json()["error"] == "throttled"
    assert int(response.headers["Retry-After"]) > 0


def test_throttling_counts_each_token_apart(api, deployer, settings):
    settings.GANTRY_API_THROTTLE_RATE = "2/hour"
    first, second = api(deployer), api(deployer)
    assert [first.get("/api/v1/teams/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/teams/").status_code == 200


def test_a_browser_session_needs_the_csrf_token_to_write(deployer, team):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(deployer)
    assert browser.get("/api/v1/teams/").status_code == 200
    response = browser.post(
        "/api/v1/models/", {"team": team.pk, "name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_schema_and_docs_need_a_signed_in_user(client):
    assert Client().get("/api/v1/schema/").status_code == 401
    assert Client().get("/api/docs/").status_code == 302  # to the sign-in page
    assert client.get("/api/v1/schema/").status_code == 200


@pytest.mark.parametrize(("rate", "expected"), [("1200/min", (1200, 60)), ("20/s", (20, 1))])
def test_throttle_rates_read_as_count_per_period(rate, expected):
    assert parse_rate(rate) == expected


def test_a_malformed_throttle_rate_says_how_to_write_one():
    with pytest.raises(ImproperlyConfigured, match=r"write e\.g\. '1200/min'"):
        parse_rate("fast")
