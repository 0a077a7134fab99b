"""The registry admin writes through the registry services: their roles, rules and audit."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.accounts.choices import Role
from apps.deployments import services as deployment_services
from apps.deployments.models import Event
from apps.registry.models import Model, ModelVersion
from tests import factories


def staff_member(team, role: str, username: str):
    """Staff of `team` with every registry permission Django's admin asks for."""
    user = factories.member(team, role, username=username)
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="registry"))
    return user


@pytest.fixture
def model(team):
    return factories.ModelFactory(team=team, name="chat", description="old")


def model_form(model, **changes) -> dict:
    return {
        "name": model.name,
        "description": model.description,
        "framework": model.framework,
        "task": model.task,
        **changes,
        # the read-only versions inline's management form
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }


def test_a_deployer_changes_a_model_and_the_audit_trail_says_who(client, team, model):
    staff = staff_member(team, Role.DEPLOYER, "dora")
    client.force_login(staff)
    response = client.post(
        reverse("admin:registry_model_change", args=[model.pk]),
        model_form(model, description="new"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    model.refresh_from_db()
    assert model.description == "new"
    event = Event.objects.get(verb="update", target="model/" + str(model))
    assert (event.actor_name, event.message) == ("dora", "Changed description.")


def test_a_viewer_sees_the_model_read_only_and_may_not_change_it(client, team, model):
    staff = staff_member(team, Role.VIEWER, "vic")
    client.force_login(staff)
    page = reverse("admin:registry_model_change", args=[model.pk])

    shown = client.get(page)
    posted = client.post(page, model_form(model, description="new"))

    assert shown.status_code == 200
    assert shown.context["has_change_permission"] is False
    assert posted.status_code == 403
    model.refresh_from_db()
    assert model.description == "old"
    assert not Event.objects.filter(target__startswith="model/").exists()


def test_the_team_of_a_model_cannot_be_changed_in_the_admin(client, team, other_team, model):
    staff = staff_member(team, Role.DEPLOYER, "dora")
    other_team.memberships.create(user=staff, role=Role.DEPLOYER)
    client.force_login(staff)
    client.post(
        reverse("admin:registry_model_change", args=[model.pk]),
        model_form(model, team=other_team.pk, description="moved?"),
    )
    model.refresh_from_db()
    assert (model.team, model.description) == (team, "moved?")


def test_adding_a_version_records_who_registered_it(client, team, model):
    staff = staff_member(team, Role.DEPLOYER, "dora")
    client.force_login(staff)
    response = client.post(
        reverse("admin:registry_modelversion_add"),
        {
            "model": model.pk,
            "version": "v7",
            "description": "",
            "artifact_uri": "s3://models/chat/v7/",
            "runtime": "vllm",
            "image": "",
            "port": 8000,
            "health_path": "/health",
            "default_cpu": "2",
            "default_memory": "8Gi",
            "default_gpu_count": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    version = ModelVersion.objects.get(model=model, version="v7")
    assert version.created_by == staff
    assert Event.objects.filter(verb="create", target=f"modelversion/{version}").exists()


def test_a_version_in_use_keeps_its_artifact_but_its_description_can_change(
    client, team, deployer, environment
):
    version = factories.ModelVersionFactory(model__team=team, description="first")
    deployment_services.create_deployment(
        actor=deployer, team=team, environment=environment, name="chat", model_version=version
    )
    staff = staff_member(team, Role.DEPLOYER, "dora")
    client.force_login(staff)
    url = reverse("admin:registry_modelversion_change", args=[version.pk])
    response = client.post(url, {"description": "second", "artifact_uri": "s3://elsewhere/"})
    assert response.status_code == 302, response.content.decode()[:3000]
    version.refresh_from_db()
    assert (version.description, version.artifact_uri) == ("second", "s3://models/llama-3-8b/")


def test_a_new_model_with_a_taken_name_is_a_form_error(client, team, model):
    staff = staff_member(team, Role.DEPLOYER, "dora")
    client.force_login(staff)
    response = client.post(
        reverse("admin:registry_model_add"), {**model_form(model), "team": team.pk}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Model.objects.filter(team=team, name="chat").count() == 1


def version_form(version, /, **changes) -> dict:
    return {
        "model": version.model_id,
        "version": version.version,
        "description": version.description,
        "artifact_uri": version.artifact_uri,
        "runtime": version.runtime,
        "image": version.image,
        "port": version.port or "",
        "health_path": version.health_path,
        "default_cpu": version.default_cpu,
        "default_memory": version.default_memory,
        "default_gpu_count": version.default_gpu_count,
        **changes,
    }


def test_an_unused_version_can_be_renamed_in_the_admin(client, team):
    version = factories.ModelVersionFactory(model__team=team, version="v1")
    client.force_login(staff_member(team, Role.DEPLOYER, "dora"))
    url = reverse("admin:registry_modelversion_change", args=[version.pk])
    response = client.post(url, version_form(version, version="v1-fixed"))
    assert response.status_code == 302, response.content.decode()[:3000]
    version.refresh_from_db()
    assert version.version == "v1-fixed"


def test_renaming_a_version_to_a_taken_label_is_a_form_error_in_the_admin(client, team):
    version = factories.ModelVersionFactory(model__team=team, version="v1")
    factories.ModelVersionFactory(model=version.model, version="v2")
    client.force_login(staff_member(team, Role.DEPLOYER, "dora"))
    url = reverse("admin:registry_modelversion_change", args=[version.pk])
    response = client.post(url, version_form(version, version="v2"))
    assert response.status_code == 200
    (message,) = response.context["adminform"].form.errors["version"]
    assert "already has a version 'v2'" in message
    version.refresh_from_db()
    assert version.version == "v1"
