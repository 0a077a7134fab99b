"""Quota admission in the deployment services: worst case counted, refusals say why."""

import pytest
from django.core.exceptions import ValidationError

from apps.deployments import services
from apps.deployments.choices import State
from apps.deployments.models import Deployment
from apps.quotas.models import Quota, QuotaLimit
from apps.quotas.services import team_usage
from tests import factories

H100 = "NVIDIA-H100-80GB-HBM3"


@pytest.fixture
def quota(team):
    quota = Quota.objects.create(team=team, replicas=20)
    QuotaLimit.objects.create(quota=quota, resource=H100, limit=8)
    return quota


@pytest.fixture
def create(deployer, team, environment, model_version):
    def create(name: str, **spec):
        spec.setdefault("gpu_count", 1)
        spec.setdefault("gpu_model", H100)
        return services.create_deployment(
            actor=deployer,
            team=team,
            environment=environment,
            name=name,
            model_version=model_version,
            **spec,
        )

    return create


def quota_messages(caught) -> list[str]:
    return [e.message for e in caught.value.error_list if e.code == "quota_exceeded"]


def test_a_create_over_the_gpu_limit_is_refused_with_the_numbers(quota, create):
    create("a", replicas=6)
    with pytest.raises(ValidationError) as caught:
        create("b", replicas=4)
    assert quota_messages(caught) == [f"quota exceeded for {H100}: limit 8, in use 6, requested 4"]
    assert not Deployment.objects.filter(name="b").exists()


def test_autoscaling_counts_its_maximum(quota, create):
    with pytest.raises(ValidationError) as caught:
        create("a", min_replicas=1, max_replicas=9, autoscaling_target=70)
    assert quota_messages(caught) == [f"quota exceeded for {H100}: limit 8, in use 0, requested 9"]


def test_a_canary_counts_its_extra_replicas(quota, create, deployer, model_version):
    deployment = create("a", replicas=6)
    canary = factories.ModelVersionFactory(model=model_version.model)
    services.set_canary(deployment, actor=deployer, version=canary, weight=20)  # 6 + 2
    with pytest.raises(ValidationError) as caught:
        services.set_canary(deployment, actor=deployer, version=canary, weight=50)  # 6 + 3
    assert quota_messages(caught) == [f"quota exceeded for {H100}: limit 8, in use 0, requested 9"]
    deployment.refresh_from_db()
    assert (deployment.canary_weight, deployment.generation) == (20, 2)


def test_a_refused_scale_changes_nothing(quota, create, deployer):
    deployment = create("a", replicas=4)
    create("b", replicas=4)
    with pytest.raises(ValidationError):
        services.scale(deployment, actor=deployer, replicas=5)
    deployment.refresh_from_db()
    assert (deployment.replicas, deployment.generation, deployment.revisions.count()) == (4, 1, 1)


def test_stopped_deployments_hold_nothing_and_starting_is_admitted(quota, create, deployer):
    first = create("a", replicas=8)
    services.stop(first, actor=deployer)
    second = create("b", replicas=8)
    with pytest.raises(ValidationError) as caught:
        services.start(first, actor=deployer)
    assert quota_messages(caught) == [f"quota exceeded for {H100}: limit 8, in use 8, requested 8"]
    services.stop(second, actor=deployer)
    assert services.start(first, actor=deployer).state == State.RUNNING


def test_a_deployment_being_deleted_holds_its_quota_until_gone(quota, create, deployer):
    services.request_delete(create("a", replicas=8), actor=deployer)
    with pytest.raises(ValidationError):
        create("b", replicas=1)


def test_scaling_down_passes_when_an_admin_lowered_the_limit_below_use(quota, create, deployer):
    deployment = create("a", replicas=8)
    QuotaLimit.objects.filter(quota=quota).update(limit=2)
    assert services.scale(deployment, actor=deployer, replicas=6).replicas == 6


def test_every_broken_limit_is_named(quota, create):
    Quota.objects.filter(pk=quota.pk).update(replicas=3, memory="8Gi")
    with pytest.raises(ValidationError) as caught:
        create("a", replicas=4, memory="4Gi", gpu_count=0, gpu_model="")
    assert quota_messages(caught) == [
        "quota exceeded for memory: limit 8Gi, in use 0, requested 16Gi",
        "quota exceeded for replicas: limit 3, in use 0, requested 4",
    ]


def test_a_team_without_a_quota_has_no_limits(create):
    assert create("a", replicas=100).replicas == 100


def test_usage_report_shows_limit_used_and_free(quota, create, deployer):
    create("a", replicas=3)
    services.stop(create("b", replicas=2), actor=deployer)
    rows = {row.resource: row for row in team_usage(quota.team)}
    assert (rows[H100].limit, rows[H100].used, rows[H100].free) == ("8", "3", "5")
    assert (rows["replicas"].limit, rows["replicas"].used, rows["replicas"].free) == (
        "20",
        "3",
        "17",
    )
