"""Members in the admin are managed through the accounts services: admins only, audited."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.models import Membership
from apps.deployments.models import Event
from tests import factories


def staff_member(team, role: str, username: str):
    """Staff of `team` with every membership permission Django's admin asks for."""
    user = factories.member(team, role, username=username)
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="accounts", codename__endswith="membership"
        )
    )
    return user


def change(client, membership: Membership, role: str):
    return client.post(
        reverse("admin:accounts_membership_change", args=[membership.pk]), {"role": role}
    )


def test_a_staff_viewer_cannot_make_themselves_an_admin(client, team):
    viewer = staff_member(team, Role.VIEWER, "vic")
    client.force_login(viewer)
    own = Membership.objects.get(user=viewer)
    response = change(client, own, Role.ADMIN)
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.role == Role.VIEWER


def test_a_team_admin_changes_a_role_and_the_audit_trail_says_so(client, team, teammate):
    admin_user = staff_member(team, Role.ADMIN, "ada")
    client.force_login(admin_user)
    membership = Membership.objects.get(user=teammate)
    response = change(client, membership, Role.DEPLOYER)
    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert membership.role == Role.DEPLOYER
    event = Event.objects.get(verb="change_role")
    assert (event.actor_name, event.message) == ("ada", f"{teammate.username} is now deployer.")


def test_the_last_admin_of_a_team_cannot_be_removed(client, team):
    admin_user = staff_member(team, Role.ADMIN, "ada")
    Membership.objects.filter(team=team, role=Role.ADMIN).exclude(user=admin_user).delete()
    client.force_login(admin_user)
    own = Membership.objects.get(user=admin_user)
    url = reverse("admin:accounts_membership_delete", args=[own.pk])
    response = client.post(url, {"post": "yes"}, follow=True)
    assert Membership.objects.filter(pk=own.pk).exists()
    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["Team 'nlp' needs at least one admin; add another first."]
    assert not Event.objects.filter(verb="remove_member").exists()


def test_a_superuser_adds_a_member_through_the_service(client, superuser, team):
    newcomer = factories.UserFactory(username="nina")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {"user": newcomer.pk, "team": team.pk, "role": Role.VIEWER},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.get(user=newcomer).role == Role.VIEWER
    assert Event.objects.get(verb="add_member").message == "Added nina as viewer."


@pytest.mark.parametrize("field", ["user", "team"])
def test_who_and_which_team_are_fixed_once_a_membership_exists(client, superuser, teammate, field):
    client.force_login(superuser)
    membership = Membership.objects.get(user=teammate)
    response = client.get(reverse("admin:accounts_membership_change", args=[membership.pk]))
    assert field not in response.context["adminform"].form.fields
