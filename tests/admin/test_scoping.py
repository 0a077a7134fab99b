"""The admin for staff who are not superusers shows their own teams' records only."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.services import create_token
from apps.deployments import services
from apps.quotas.models import Quota, QuotaLimit
from tests import factories


@pytest.fixture
def staff(other_team):
    """A staff member of `other_team` allowed to view everything in the admin."""
    user = factories.member(other_team, Role.ADMIN, username="stella")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.fixture
def deployment(deployer, team, environment, model_version):
    return services.create_deployment(
        actor=deployer,
        team=team,
        environment=environment,
        name="hidden-chat",
        model_version=model_version,
    )


@pytest.mark.parametrize(
    "model_name",
    [
        "deployments_deployment",
        "deployments_event",
        "registry_model",
        "accounts_team",
        "accounts_membership",
    ],
)
def test_staff_do_not_see_another_teams_records_in_lists(client, staff, deployment, model_name):
    client.force_login(staff)
    content = client.get(reverse(f"admin:{model_name}_changelist")).content.decode()
    assert "hidden-chat" not in content
    assert ">nlp<" not in content
    assert "olivia" not in content


def test_staff_cannot_open_another_teams_deployment(client, staff, deployment):
    client.force_login(staff)
    response = client.get(reverse("admin:deployments_deployment_change", args=[deployment.pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert client.get(response.url).status_code == 200


def test_superusers_see_every_team(client, superuser, deployment):
    client.force_login(superuser)
    content = client.get(reverse("admin:deployments_deployment_changelist")).content.decode()
    assert "hidden-chat" in content


def test_quota_page_shows_usage_with_limit_used_and_free(
    client, superuser, deployer, team, environment, model_version
):
    quota = Quota.objects.create(team=team, replicas=10)
    QuotaLimit.objects.create(quota=quota, resource="NVIDIA-L4", limit=4)
    services.create_deployment(
        actor=deployer,
        team=team,
        environment=environment,
        name="chat",
        model_version=model_version,
        replicas=3,
        gpu_count=1,
        gpu_model="NVIDIA-L4",
    )
    client.force_login(superuser)
    change = client.get(reverse("admin:quotas_quota_change", args=[quota.pk])).content.decode()
    assert "<td>NVIDIA-L4</td><td>4</td><td>3</td><td>1</td>" in change
    changelist = client.get(reverse("admin:quotas_quota_changelist")).content.decode()
    assert "NVIDIA-L4 3/4" in changelist


def test_adding_a_token_shows_it_once_and_stores_a_digest(client, superuser, deployer):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": deployer.pk, "name": "ci", "expires_in_days": 30},
    )
    assert response.status_code == 200
    content = response.content.decode()
    token = deployer.api_tokens.get()
    plain = content.split('user-select:all">')[1].split("<")[0]
    assert plain.startswith(token.prefix)
    assert plain not in str(list(deployer.api_tokens.values()))
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert token.prefix in listing
    assert plain not in listing


def test_revoking_tokens_from_the_admin(client, superuser, deployer):
    issued = create_token(actor=None, user=deployer, name="ci")
    client.force_login(superuser)
    client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [issued.token.pk]},
    )
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None


def test_staff_see_and_issue_only_their_own_tokens(client, staff, deployer):
    create_token(actor=None, user=deployer, name="someone-elses")
    client.force_login(staff)
    staff.user_permissions.add(*Permission.objects.filter(codename="add_apitoken"))
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert "someone-elses" not in listing
    response = client.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": deployer.pk, "name": "sneaky", "expires_in_days": 30},
    )
    assert "Select a valid choice" in response.content.decode()
    assert not deployer.api_tokens.filter(name="sneaky").exists()
