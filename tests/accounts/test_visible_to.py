"""visible_to(user): the one scoping point, on every listed model's manager."""

import pytest
from django.contrib.auth.models import AnonymousUser

from apps.accounts.choices import Role
from apps.accounts.models import ApiToken, Membership, Team
from apps.accounts.services import create_token
from apps.clusters.models import Environment
from apps.deployments.models import Deployment, Event, Revision
from apps.quotas.models import Quota
from apps.registry.models import Model, ModelVersion

TEAM_SCOPED = [
    Team,
    Membership,
    Environment,
    Model,
    ModelVersion,
    Quota,
    Deployment,
    Revision,
    Event,
]


@pytest.fixture
def records(deployment, team, owner, teammate):
    Quota.objects.create(team=team, gpus_total=8)
    return deployment


@pytest.mark.parametrize("model", TEAM_SCOPED, ids=lambda m: m.__name__)
def test_a_member_sees_their_teams_records(records, teammate, model):
    assert model.objects.visible_to(teammate).exists(), model.__name__


@pytest.mark.parametrize("model", TEAM_SCOPED, ids=lambda m: m.__name__)
def test_an_outsider_sees_none_of_another_teams_records(records, team, outsider, model):
    visible = model.objects.visible_to(outsider)
    path = model.objects.none().team_path
    assert not visible.filter(**{path: team.pk}).exists(), model.__name__


@pytest.mark.parametrize("model", TEAM_SCOPED, ids=lambda m: m.__name__)
def test_an_anonymous_or_inactive_user_sees_nothing(records, teammate, model):
    teammate.is_active = False
    assert not model.objects.visible_to(AnonymousUser()).exists()
    assert not model.objects.visible_to(teammate).exists()


@pytest.mark.parametrize("model", TEAM_SCOPED, ids=lambda m: m.__name__)
def test_a_superuser_sees_every_team(records, superuser, model):
    assert model.objects.visible_to(superuser).count() == model.objects.count()


def test_a_role_floor_narrows_to_teams_where_the_user_holds_it(records, team, teammate):
    assert not Deployment.objects.visible_to(teammate, Role.DEPLOYER).exists()
    assert Team.objects.visible_to(teammate, Role.VIEWER).get() == team


def test_an_environment_shared_by_two_of_the_users_teams_is_listed_once(
    records, environment, other_team, teammate
):
    environment.teams.add(other_team)
    Membership.objects.create(user=teammate, team=other_team, role=Role.VIEWER)
    assert list(Environment.objects.visible_to(teammate)) == [environment]


def test_tokens_are_visible_to_their_holder_alone(owner, teammate, superuser):
    create_token(actor=None, user=owner, name="ci")
    assert ApiToken.objects.visible_to(owner).count() == 1
    assert not ApiToken.objects.visible_to(teammate).exists()
    assert not ApiToken.objects.visible_to(superuser).exists()
