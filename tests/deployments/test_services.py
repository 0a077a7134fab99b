"""Deployment services: every change validated, versioned and audited."""

import pytest
from django.core.exceptions import ValidationError

from apps.deployments import services
from apps.deployments.choices import State
from apps.deployments.models import Deployment, Event, Revision
from tests import factories


def test_create_records_revision_one_and_an_audit_event(deployment, deployer):
    assert deployment.generation == 1
    revision = deployment.revisions.get()
    assert revision.number == 1
    assert revision.spec["gpu_model"] == "NVIDIA-H100-80GB-HBM3"
    assert revision.created_by == deployer
    event = Event.objects.get(deployment=deployment)
    assert (event.actor, event.verb, event.target) == (
        deployer,
        "create",
        "deployment/development/chat",
    )


def test_a_name_taken_by_a_concurrent_create_is_refused_and_writes_nothing(
    deployer, team, environment, model_version, monkeypatch
):
    """The name is free when checked, then another create takes it before the INSERT."""
    validate = services._validate

    def create(cpu: str) -> Deployment:
        return services.create_deployment(
            actor=deployer, team=team, environment=environment, name="chat",
            model_version=model_version, cpu=cpu, memory="1Gi",
        )  # fmt: skip

    def validate_then_lose_the_race(deployment):
        validate(deployment)
        services._validate = validate  # only the first create loses the race
        create(cpu="1")

    monkeypatch.setattr(services, "_validate", validate_then_lose_the_race)
    with pytest.raises(ValidationError) as caught:
        create(cpu="2")
    assert "A deployment named 'chat' already exists" in caught.value.message_dict["name"][0]
    winner = Deployment.objects.get(environment=environment, name="chat")
    assert winner.cpu == "1", "the concurrent create's record must be the one kept"
    assert Revision.objects.count() == 1, "the refused create must leave no revision"
    assert Event.objects.filter(verb="create").count() == 1, "nor an audit event"


def test_update_bumps_generation_and_records_a_revision_and_event(deployment, deployer):
    updated = services.update_deployment(deployment, actor=deployer, replicas=3)
    assert updated.generation == 2
    assert list(updated.revisions.values_list("number", flat=True)) == [2, 1]
    assert updated.revisions.get(number=2).spec["replicas"] == 3
    assert Event.objects.filter(deployment=deployment, verb="update").count() == 1


def test_an_update_that_changes_nothing_writes_nothing(deployment, deployer):
    services.update_deployment(deployment, actor=deployer, replicas=deployment.replicas)
    deployment.refresh_from_db()
    assert deployment.generation == 1
    assert Revision.objects.filter(deployment=deployment).count() == 1
    assert Event.objects.filter(deployment=deployment).count() == 1


def test_an_invalid_update_changes_nothing(deployment, deployer):
    with pytest.raises(ValidationError) as caught:
        services.update_deployment(deployment, actor=deployer, min_replicas=4, max_replicas=2)
    assert "min_replicas (4) is more than max_replicas (2)" in str(caught.value)
    deployment.refresh_from_db()
    assert (deployment.generation, deployment.min_replicas) == (1, None)
    assert Revision.objects.filter(deployment=deployment).count() == 1


def test_unknown_fields_are_refused_by_name(deployment, deployer):
    with pytest.raises(ValidationError) as caught:
        services.update_deployment(deployment, actor=deployer, observed_generation=9)
    assert "observed_generation" in caught.value.message_dict


def test_a_deployment_being_deleted_cannot_change(deployment, deployer):
    Deployment.objects.filter(pk=deployment.pk).update(state=State.DELETING)
    with pytest.raises(ValidationError, match="being deleted"):
        services.update_deployment(deployment, actor=deployer, replicas=2)


def test_deploying_to_an_environment_the_team_may_not_use_is_refused(deployer, team, model_version):
    forbidden = factories.EnvironmentFactory(name="production")
    with pytest.raises(ValidationError) as caught:
        services.create_deployment(
            actor=deployer, team=team, environment=forbidden, name="x", model_version=model_version
        )
    assert (
        "may not deploy to environment 'production'" in caught.value.message_dict["environment"][0]
    )
    assert not Deployment.objects.exists()


def test_deploying_another_teams_model_version_is_refused(deployer, team, environment):
    foreign = factories.ModelVersionFactory(model__team=factories.TeamFactory(name="vision"))
    with pytest.raises(ValidationError) as caught:
        services.create_deployment(
            actor=deployer, team=team, environment=environment, name="x", model_version=foreign
        )
    assert caught.value.message_dict["model_version"] == [
        "That model version belongs to another team."
    ]


def test_a_gpu_model_needs_a_gpu_count(deployer, team, environment, model_version):
    with pytest.raises(ValidationError) as caught:
        services.create_deployment(
            actor=deployer,
            team=team,
            environment=environment,
            name="x",
            model_version=model_version,
            gpu_model="NVIDIA-L4",
        )
    assert "gpu_count" in caught.value.message_dict


def test_a_canary_must_be_another_version_of_the_same_model(deployment, deployer):
    other_model_version = factories.ModelVersionFactory(model__team=deployment.team)
    with pytest.raises(ValidationError) as caught:
        services.update_deployment(
            deployment, actor=deployer, canary_version=other_model_version, canary_weight=10
        )
    assert "same model" in caught.value.message_dict["canary_version"][0]


def test_a_team_that_lost_access_to_an_environment_can_still_stop_and_delete(
    deployment, deployer, environment, team
):
    environment.teams.remove(team)
    stopped = services.stop(deployment, actor=deployer)
    assert stopped.state == State.STOPPED
    deleting = services.request_delete(stopped, actor=deployer)
    assert deleting.state == State.DELETING


def test_an_update_event_names_each_change_with_its_old_and_new_value(deployment, deployer):
    newer = factories.ModelVersionFactory(model=deployment.model_version.model, version="v9")
    old = deployment.model_version.version
    services.update_deployment(deployment, actor=deployer, model_version=newer, replicas=3)
    event = Event.objects.filter(deployment=deployment, verb="update").get()
    assert event.message == f"Generation 2: model version {old} → v9, replicas 1 → 3."


def test_a_verb_event_keeps_its_reason_and_adds_the_changes_in_words(deployment, deployer):
    services.scale(deployment, actor=deployer, replicas=3)
    services.scale(deployment, actor=deployer, replicas=1)
    event = Event.objects.filter(deployment=deployment, verb="update").first()
    assert event.message == "Generation 3: scaled to 1 replicas (replicas 3 → 1)."
    assert deployment.revisions.first().reason == "scaled to 1 replicas"


def test_the_user_who_asked_for_a_deletion_is_kept_for_its_final_event(deployment, deployer, owner):
    services.request_delete(deployment, actor=deployer)
    services.request_delete(deployment, actor=owner)  # asking again changes nothing
    deployment.refresh_from_db()
    assert services.deletion_requested_by(deployment) == deployer


def test_a_deletion_gantry_asked_for_has_no_user(deployment):
    services.request_delete(deployment, actor=None)
    deployment.refresh_from_db()
    assert services.deletion_requested_by(deployment) is None
