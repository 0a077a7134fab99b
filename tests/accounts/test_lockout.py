"""Brute-force protection of password sign-in on /login/ and /admin/login/ (django-axes)."""

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.services import create_token
from apps.deployments.models import Event
from tests.factories import PASSWORD, UserFactory

ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
LOCKED_MESSAGE = "Too many failed sign-in attempts"


@pytest.fixture
def staff(db):
    return UserFactory(username="sam", is_staff=True)


def _sign_in(client, url: str, username: str, password: str, address: str = ATTACKER):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail_limit_times(client, url: str, username: str, address: str = ATTACKER) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, url, username, f"guess-{attempt}", address)
        assert "_auth_user_id" not in client.session


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("page", ["login", "admin:login"])
def test_the_right_password_is_refused_after_the_limit_of_wrong_ones(client, staff, page):
    url = reverse(page)
    _fail_limit_times(client, url, "sam")

    response = _sign_in(client, url, "sam", PASSWORD)

    assert response.status_code == 429
    assert not _signed_in(client)
    text = response.content.decode()
    assert LOCKED_MESSAGE in text
    assert f"locked for {settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in text


@pytest.mark.parametrize("page", ["login", "admin:login"])
def test_a_successful_sign_in_clears_earlier_failures(client, staff, page):
    url = reverse(page)
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, url, "sam", f"guess-{attempt}")
    assert _sign_in(client, url, "sam", PASSWORD).status_code == 302
    client.logout()

    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, url, "sam", f"guess-{attempt}")
    response = _sign_in(client, url, "sam", PASSWORD)

    assert response.status_code == 302
    assert _signed_in(client)


def test_a_locked_username_is_refused_from_any_address(client, staff):
    _fail_limit_times(client, reverse("login"), "sam", ATTACKER)

    response = _sign_in(client, reverse("login"), "sam", PASSWORD, ELSEWHERE)

    assert response.status_code == 429
    assert not _signed_in(client)


def test_a_locked_address_is_refused_for_any_username(client, staff, teammate):
    _fail_limit_times(client, reverse("login"), "sam", ATTACKER)

    response = _sign_in(client, reverse("login"), "theo", PASSWORD, ATTACKER)

    assert response.status_code == 429
    assert not _signed_in(client)


def test_another_user_from_another_address_signs_in_meanwhile(client, staff, teammate):
    _fail_limit_times(client, reverse("login"), "sam", ATTACKER)

    response = _sign_in(client, reverse("login"), "theo", PASSWORD, ELSEWHERE)

    assert response.status_code == 302
    assert _signed_in(client)


def test_api_tokens_keep_working_for_a_locked_user_and_address(client, staff):
    _fail_limit_times(client, reverse("login"), "sam", ATTACKER)
    api = APIClient(REMOTE_ADDR=ATTACKER)
    token = create_token(actor=None, user=staff, name="ci").plain
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api.get("/api/v1/deployments/")

    assert response.status_code == 200, response.json()


def test_a_lockout_is_audited(client, staff):
    _fail_limit_times(client, reverse("login"), "sam", ATTACKER)

    event = Event.objects.get(verb="lockout")

    assert event.actor_name == "gantry"
    assert "'sam'" in event.message
    assert ATTACKER in event.message
