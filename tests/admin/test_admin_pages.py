"""Every admin page a platform admin uses loads."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.accounts.services import create_token
from apps.deployments import services
from apps.quotas.models import Quota, QuotaLimit
from tests.factories import PASSWORD

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.fixture
def populated(client, deployer, team, environment, model_version):
    # A sign-in and a failed one fill the sign-in protection's pages (django-axes).
    client.post(reverse("login"), {"username": deployer.username, "password": PASSWORD})
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": deployer.username, "password": "wrong"})
    Quota.objects.create(team=team, gpus_total=8, cpu="64", memory="512Gi")
    Group.objects.create(name="platform")
    QuotaLimit.objects.create(quota=team.quota, resource="NVIDIA-H100-80GB-HBM3", limit=8)
    create_token(actor=None, user=deployer, name="ci")
    return services.create_deployment(
        actor=deployer,
        team=team,
        environment=environment,
        name="chat",
        model_version=model_version,
    )


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_changelist_loads_for_a_superuser(client, superuser, populated, app_label, model_name):
    client.force_login(superuser)
    response = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_change_page_loads_for_a_superuser(client, superuser, populated, app_label, model_name):
    client.force_login(superuser)
    model = apps.get_model(app_label, model_name)
    obj = model.objects.first()
    assert obj is not None, f"the populated data has no {model_name}"
    response = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_deployments_cannot_be_edited_in_the_admin(client, superuser, populated):
    client.force_login(superuser)
    response = client.get(reverse("admin:deployments_deployment_add"))
    assert response.status_code == 403


def test_team_page_shows_memberships_and_quota_inline(client, superuser, populated, team):
    client.force_login(superuser)
    response = client.get(reverse("admin:accounts_team_change", args=[team.pk]))
    content = response.content.decode()
    assert "memberships-TOTAL_FORMS" in content
    assert "quota-TOTAL_FORMS" in content


def test_quota_limits_show_units(client, superuser, populated):
    client.force_login(superuser)
    content = client.get(reverse("admin:quotas_quota_changelist")).content.decode()
    assert "8 GPUs" in content
    assert "64 cores" in content
