"""Database constraints hold even when application validation is bypassed."""

import pytest
from django.db import IntegrityError, transaction

from apps.deployments.models import Deployment, Revision
from tests import factories


@pytest.fixture
def deployment(team, environment, model_version):
    return Deployment.objects.create(
        team=team, environment=environment, name="chat", model_version=model_version
    )


def _violates(**fields) -> bool:
    try:
        with transaction.atomic():
            Deployment.objects.filter(pk=fields.pop("pk")).update(**fields)
    except IntegrityError:
        return True
    return False


def test_a_name_is_unique_per_environment(deployment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Deployment.objects.create(
            team=deployment.team,
            environment=deployment.environment,
            name="chat",
            model_version=deployment.model_version,
        )


def test_the_same_name_is_allowed_in_another_environment(deployment, team):
    other = factories.EnvironmentFactory()
    Deployment.objects.create(
        team=team, environment=other, name="chat", model_version=deployment.model_version
    )


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"min_replicas": 3, "max_replicas": 2}, "min above max"),
        ({"min_replicas": 1}, "min without max"),
        ({"min_replicas": 0, "max_replicas": 2}, "min of zero"),
        ({"canary_weight": 101}, "weight above 100"),
        ({"canary_weight": 20}, "weight without a canary version"),
        ({"gpu_model": "NVIDIA-L4", "mig_profile": "1g.10gb"}, "GPU model and MIG"),
        ({"observed_generation": 5}, "observed ahead of generation"),
        ({"state": "paused"}, "unknown state"),
    ],
)
def test_check_constraints_refuse_impossible_specs(deployment, fields, constraint):
    assert _violates(pk=deployment.pk, **fields), f"the database accepted {constraint}"


def test_a_revision_number_is_unique_per_deployment(deployment):
    Revision.objects.create(deployment=deployment, number=1, spec={})
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(deployment=deployment, number=1, spec={})


def test_model_names_are_unique_per_team(team):
    factories.ModelFactory(team=team, name="llama")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ModelFactory(team=team, name="llama")


def test_version_labels_are_unique_per_model(model_version):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ModelVersionFactory(model=model_version.model, version=model_version.version)
