"""The cross-tenant matrix: every endpoint and method, for every kind of caller.

Owner (team admin), a teammate with the viewer role, an outsider (admin of
another team), anonymous, and invalid, expired and revoked tokens. Outsiders
get 404 for the team's objects and never see them in lists; viewers read but
may not write; unauthenticated callers get 401. Nobody but the owner changes a
single row.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import ApiToken, Membership
from apps.accounts.services import create_token, revoke_token
from apps.deployments.models import Deployment, Event, Revision
from apps.registry.models import Model, ModelVersion
from tests import factories
from tests.api.endpoints import ENDPOINTS, IDS, call

# Names that appear only in the victim team's records: an outsider's answer never has them.
MARKERS = ("nlp", "secret-chat", "secret-model")


OWNER_STATUS = {
    "post teams/{team}/members/": 400,  # theo is already a member: refused, by name
    "post tokens/": 403,  # tokens never mint tokens
    "post models/": 201,
    "post models/{model}/versions/": 201,
    "post deployments/": 201,
    "delete deployments/{deployment}/": 202,
    "delete models/{model}/versions/{spare_version}/": 204,
    "delete teams/{team}/members/{member}/": 204,
    "delete tokens/{token}/": 204,
}
# The world's cluster is not running: a role that may read these gets as far as asking
# it, and is told it cannot be reached (tests/api/test_pods.py reads a real one).
LIVE_READS = {
    "get deployments/{deployment}/pods/": 503,
    "get deployments/{deployment}/pods/{pod}/logs/": 503,
}
# Tokens are personal: another user's token is absent, whatever their role.
PERSONAL = {"get tokens/{token}/", "delete tokens/{token}/"}
# Lists and creates at the top level exist for everyone; the rest are the team's objects.
TOP_LEVEL = {
    "get me/",
    "get teams/",
    "get tokens/",
    "get environments/",
    "get models/",
    "get deployments/",
    "get events/",
    "post tokens/",
    "post models/",
    "post deployments/",
}


def snapshot() -> dict:
    """Every row a request could change (token use times aside)."""
    tables = [Deployment, Revision, Event, Model, ModelVersion, Membership]
    rows = {t.__name__: list(t.objects.order_by("pk").values()) for t in tables}
    rows["ApiToken"] = list(ApiToken.objects.order_by("pk").values("pk", "revoked_at", "name"))
    return rows


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_the_owner_may_do_everything(api, owner, world, method, path, body):
    response = call(api(owner), world, method, path, body)
    key = f"{method} {path}"
    expected = OWNER_STATUS.get(key, LIVE_READS.get(key, 200))
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_a_viewer_reads_and_changes_nothing(api, teammate, world, method, path, body):
    key = f"{method} {path}"
    client = api(teammate)
    before = snapshot()
    response = call(client, world, method, path, body)
    if key in PERSONAL:
        expected = 404
    elif key == "post models/" or key == "post deployments/":
        expected = 403  # a team they see, a role they lack
    elif method == "get":
        expected = LIVE_READS.get(key, 200)
    else:
        expected = 403
    assert response.status_code == expected, response.content
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_an_outsider_neither_sees_nor_changes_another_teams_records(
    api, outsider, world, method, path, body
):
    key = f"{method} {path}"
    client = api(outsider)
    before = snapshot()
    response = call(client, world, method, path, body)
    if key in ("post models/", "post deployments/"):
        # The team (and its environment and version) are unknown to them: a field error.
        assert response.status_code == 400, response.content
        assert "team" in response.json()["fields"]
        assert "There is no team with id" in response.json()["fields"]["team"][0]
    elif key == "post tokens/":
        assert response.status_code == 403
    elif key in TOP_LEVEL:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 404, response.content
        assert response.json()["error"] == "not_found"
    text = response.content.decode()
    assert not [marker for marker in MARKERS if marker in text]
    assert snapshot() == before


@pytest.fixture
def bad_tokens(owner):
    expired = create_token(actor=None, user=owner, name="old", expires_in_days=1)
    ApiToken.objects.filter(pk=expired.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    revoked = create_token(actor=None, user=owner, name="gone")
    revoke_token(revoked.token, actor=owner)
    return {
        "anonymous": None,
        "invalid": "gnt_this-is-not-a-token",
        "malformed": "not even the shape",
        "expired": expired.plain,
        "revoked": revoked.plain,
    }


@pytest.mark.parametrize("caller", ["anonymous", "invalid", "malformed", "expired", "revoked"])
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_unauthenticated_callers_get_401_and_change_nothing(
    api, world, bad_tokens, caller, method, path, body
):
    client = api(token=bad_tokens[caller])
    before = snapshot()
    response = call(client, world, method, path, body)
    assert response.status_code == 401, response.content
    assert response.json()["error"] in ("not_authenticated", "authentication_failed")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="gantry"'
    assert snapshot() == before


def test_an_outsider_cannot_deploy_into_an_environment_their_team_may_not_use(
    api, outsider, other_team, world
):
    own_version = factories.ModelVersionFactory(model__team=other_team)
    response = api(outsider).post(
        "/api/v1/deployments/",
        {
            "team": other_team.pk,
            "environment": world.ids["environment"],
            "name": "sneaky",
            "model_version": own_version.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["environment"] == [
        f"There is no environment with id {world.ids['environment']} that you may use here."
    ]


def test_a_team_may_not_deploy_an_environment_only_another_of_its_users_teams_may_use(
    api, owner, team, other_team, world
):
    # owner also belongs to other_team, whose environment nlp may not use.
    factories.member(other_team, "deployer", username="olivia")
    elsewhere = factories.EnvironmentFactory(name="production", namespace="prod")
    elsewhere.teams.add(other_team)
    response = api(owner).post(
        "/api/v1/deployments/",
        {
            "team": team.pk,
            "environment": elsewhere.pk,
            "name": "x",
            "model_version": world.ids["version"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert (
        "may not deploy to environment 'production'" in response.json()["fields"]["environment"][0]
    )


def test_a_canary_from_another_teams_model_is_refused(api, owner, world, other_team):
    foreign = factories.ModelVersionFactory(model__team=other_team)
    response = api(owner).post(
        world.path("deployments/{deployment}/canary/"),
        {"version": foreign.pk, "weight": 10},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["version"] == [
        f"There is no model version with id {foreign.pk} that you may use here."
    ]
