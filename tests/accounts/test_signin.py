"""ML engineers who are not staff sign in on Gantry's own page."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD


def test_a_team_member_who_is_not_staff_signs_in_and_lands_on_deployments(client, teammate):
    response = client.post(reverse("login"), {"username": "theo", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("deployments:list")
    assert client.get(response.url).status_code == 200


def test_a_wrong_password_says_so_and_signs_nobody_in(client, teammate):
    response = client.post(reverse("login"), {"username": "theo", "password": "wrong"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_pages_send_anonymous_visitors_to_the_sign_in_page(client):
    response = client.get(reverse("deployments:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_signing_out_ends_the_session(client, teammate):
    client.force_login(teammate)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
