"""Registry services: versions freeze once a deployment uses them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.deployments.models import Deployment, Event
from apps.registry import services
from apps.registry.models import ModelVersion
from tests import factories


@pytest.fixture
def model(team, deployer):
    return services.create_model(actor=deployer, team=team, name="llama", framework="pytorch")


def test_creating_a_version_is_audited(model, deployer):
    version = services.create_model_version(
        actor=deployer, model=model, version="v1", artifact_uri="hf://meta-llama/Llama-3-8B"
    )
    event = Event.objects.get(target=f"modelversion/{version}")
    assert event.actor == deployer
    assert "hf://meta-llama/Llama-3-8B" in event.message


def test_an_invalid_version_is_refused_and_not_saved(model, deployer):
    with pytest.raises(ValidationError) as caught:
        services.create_model_version(
            actor=deployer, model=model, version="v1", artifact_uri="ftp://x/y", image="Bad Image"
        )
    assert set(caught.value.message_dict) == {"artifact_uri", "image"}
    assert not ModelVersion.objects.exists()


def test_a_custom_runtime_needs_an_image(model, deployer):
    with pytest.raises(ValidationError) as caught:
        services.create_model_version(
            actor=deployer,
            model=model,
            version="v1",
            artifact_uri="s3://bucket/k",
            runtime="custom",
        )
    assert "needs an image" in caught.value.message_dict["image"][0]


def test_an_unused_version_can_change(model, deployer):
    version = services.create_model_version(
        actor=deployer, model=model, version="v1", artifact_uri="s3://bucket/k"
    )
    services.update_model_version(version, actor=deployer, artifact_uri="s3://bucket/k2")
    version.refresh_from_db()
    assert version.artifact_uri == "s3://bucket/k2"


def test_a_version_in_use_changes_only_its_description(model, deployer, environment, team):
    version = services.create_model_version(
        actor=deployer, model=model, version="v1", artifact_uri="s3://bucket/k"
    )
    Deployment.objects.create(team=team, environment=environment, name="d", model_version=version)
    services.update_model_version(version, actor=deployer, description="now with notes")
    with pytest.raises(ValidationError) as caught:
        services.update_model_version(version, actor=deployer, artifact_uri="s3://bucket/other")
    assert "register a new version instead" in caught.value.message_dict["artifact_uri"][0]
    version.refresh_from_db()
    assert (version.description, version.artifact_uri) == ("now with notes", "s3://bucket/k")


def test_preset_defaults_fill_in_image_port_and_health_path():
    version = factories.ModelVersionFactory.build(runtime="triton", image="", port=None)
    assert version.effective_image.startswith("nvcr.io/nvidia/tritonserver:")
    assert (version.effective_port, version.effective_health_path) == (8000, "/v2/health/ready")


def test_an_unused_version_is_deleted_and_the_audit_trail_keeps_what_it_was(model, deployer):
    version = services.create_model_version(
        actor=deployer, model=model, version="v1", artifact_uri="s3://bucket/k"
    )
    services.delete_model_version(version, actor=deployer)
    assert not ModelVersion.objects.filter(pk=version.pk).exists()
    event = Event.objects.get(verb="delete", target=f"modelversion/{model}:v1")
    assert (event.actor, event.message) == (deployer, "Deleted version v1 (s3://bucket/k).")


def test_a_version_in_use_is_not_deleted_and_the_refusal_names_the_deployment(
    model, deployer, environment, team
):
    version = services.create_model_version(
        actor=deployer, model=model, version="v1", artifact_uri="s3://bucket/k"
    )
    Deployment.objects.create(
        team=team, environment=environment, name="chat", model_version=version
    )
    with pytest.raises(ValidationError, match="Version v1 is used by chat"):
        services.delete_model_version(version, actor=deployer)
    assert ModelVersion.objects.filter(pk=version.pk).exists()


def test_a_viewer_may_neither_delete_nor_archive(model, deployer, teammate):
    version = services.create_model_version(
        actor=deployer, model=model, version="v1", artifact_uri="s3://bucket/k"
    )
    with pytest.raises(PermissionDenied):
        services.delete_model_version(version, actor=teammate)
    with pytest.raises(PermissionDenied):
        services.archive_model(model, actor=teammate)
    model.refresh_from_db()
    assert model.archived_at is None
    assert ModelVersion.objects.filter(pk=version.pk).exists()


def test_archiving_keeps_the_model_and_its_versions_and_is_audited(model, deployer):
    services.create_model_version(
        actor=deployer, model=model, version="v1", artifact_uri="s3://bucket/k"
    )
    services.archive_model(model, actor=deployer)
    model.refresh_from_db()
    assert model.archived_at is not None
    assert model.versions.count() == 1
    assert Event.objects.get(verb="archive", target=f"model/{model}").actor == deployer


def test_a_model_with_a_version_in_use_is_not_archived(model, deployer, environment, team):
    version = services.create_model_version(
        actor=deployer, model=model, version="v1", artifact_uri="s3://bucket/k"
    )
    Deployment.objects.create(
        team=team, environment=environment, name="chat", model_version=version
    )
    with pytest.raises(ValidationError, match=r"has versions in use \(v1 by chat\)"):
        services.archive_model(model, actor=deployer)
    model.refresh_from_db()
    assert model.archived_at is None


def test_an_archived_model_takes_no_new_versions(model, deployer):
    services.archive_model(model, actor=deployer)
    with pytest.raises(ValidationError, match="is archived"):
        services.create_model_version(
            actor=deployer, model=model, version="v2", artifact_uri="s3://bucket/k"
        )


def test_a_taken_model_name_is_refused_on_the_name_field(model, team, deployer):
    with pytest.raises(ValidationError) as caught:
        services.create_model(actor=deployer, team=team, name="llama")
    assert list(caught.value.message_dict) == ["name"]
    assert "already has a model named 'llama'" in caught.value.message_dict["name"][0]


def test_a_taken_version_label_is_refused_on_the_version_field(model, deployer):
    services.create_model_version(
        actor=deployer, model=model, version="v1", artifact_uri="s3://bucket/k"
    )
    with pytest.raises(ValidationError) as caught:
        services.create_model_version(
            actor=deployer, model=model, version="v1", artifact_uri="s3://bucket/k2"
        )
    assert list(caught.value.message_dict) == ["version"]
    assert ModelVersion.objects.count() == 1
