"""Team admins manage members; nobody adds themselves to another team."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.accounts import services
from apps.accounts.choices import Role
from apps.accounts.models import Membership
from tests import factories


def test_a_team_admin_adds_a_member(owner, team):
    factories.UserFactory(username="newbie")
    membership = services.add_member(actor=owner, team=team, username="newbie", role=Role.VIEWER)
    assert (membership.user.username, membership.role) == ("newbie", "viewer")


def test_a_deployer_may_not_add_members(deployer, team):
    factories.UserFactory(username="newbie")
    with pytest.raises(PermissionDenied, match="need the team admin role"):
        services.add_member(actor=deployer, team=team, username="newbie", role=Role.ADMIN)


def test_an_outsider_may_not_add_themselves_to_another_team(outsider, team):
    with pytest.raises(PermissionDenied):
        services.add_member(actor=outsider, team=team, username="oscar", role=Role.ADMIN)
    assert not Membership.objects.filter(team=team, user=outsider).exists()


def test_the_last_admin_cannot_step_down(owner, team):
    membership = Membership.objects.get(user=owner, team=team)
    with pytest.raises(ValidationError, match="needs at least one admin"):
        services.change_role(actor=owner, membership=membership, role=Role.VIEWER)
    with pytest.raises(ValidationError, match="needs at least one admin"):
        services.remove_member(actor=owner, membership=membership)


def test_an_unknown_role_is_refused(owner, team):
    factories.UserFactory(username="newbie")
    with pytest.raises(ValidationError) as caught:
        services.add_member(actor=owner, team=team, username="newbie", role="root")
    assert "'root' is not a role" in caught.value.message_dict["role"][0]
