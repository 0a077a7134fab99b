"""API tokens in the browser: created with the services `make token` uses, shown once, revoked."""

import re

import pytest
from django.test import Client

from apps.accounts.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_token_is_shown_once_and_works(client, deployer):
    client.force_login(deployer)
    response = client.post("/tokens/", {"name": "ci", "expires_in_days": "30"})
    body = response.content.decode()
    plain = re.search(r'value="(gnt_[^"]+)"', body).group(1)
    assert response["Cache-Control"] == "no-store"
    assert plain not in client.get("/tokens/").content.decode(), "the secret is shown only once"
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api.get("/api/v1/deployments/").status_code == 200
    token = ApiToken.objects.get(user=deployer, name="ci")
    assert round((token.expires_at - token.created_at).total_seconds() / 86400) == 30


def test_revoking_asks_first_then_the_token_answers_401(client, deployer):
    client.force_login(deployer)
    body = client.post("/tokens/", {"name": "ci"}).content.decode()
    plain = re.search(r'value="(gnt_[^"]+)"', body).group(1)
    token = ApiToken.objects.get(user=deployer)
    assert "Revoke token" in client.get(f"/tokens/{token.pk}/revoke/").content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None, "GET only asks"
    client.post(f"/tokens/{token.pk}/revoke/")
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {plain}").get("/api/v1/deployments/").status_code == 401
    )


def test_bad_input_is_explained_beside_its_field(client, deployer, settings):
    client.force_login(deployer)
    response = client.post("/tokens/", {"name": "", "expires_in_days": "9999"})
    assert response.status_code == 400
    assert f"A token lives from 1 to {settings.GANTRY_API_TOKEN_MAX_DAYS} days" in (
        response.content.decode()
    )
    response = client.post("/tokens/", {"name": "", "expires_in_days": "30"})
    assert response.status_code == 400
    assert 'id="token-name-error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_someone_elses_token_is_404(client, deployer):
    other = factories.UserFactory(username="zed")
    client.force_login(other)
    client.post("/tokens/", {"name": "mine"})
    token = ApiToken.objects.get(user=other)
    client.force_login(deployer)
    assert client.get(f"/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 404
    assert "mine" not in client.get("/tokens/").content.decode()


def test_revoke_needs_csrf(deployer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(deployer)
    assert client.post("/tokens/", {"name": "x"}).status_code == 403
