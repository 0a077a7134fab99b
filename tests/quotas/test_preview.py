"""Admission's dry run: the checks `admit` makes, in words, without refusing or locking."""

from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError

from apps.deployments import services
from apps.deployments.sizing import demand_of
from apps.quotas import services as quotas
from apps.quotas import usage
from apps.quotas.models import Quota, QuotaLimit

H100 = "NVIDIA-H100-80GB-HBM3"


def gpus(n: int) -> usage.Demand:
    return usage.pod_demand(pods=1, cpu=1, memory=2**30, gpu_count=n, gpu_model=H100)


def test_a_check_that_passes_says_what_it_uses_and_what_would_remain():
    (check,) = usage.assess(
        {"gpu:" + H100: 8}, others=usage.NOTHING, before=usage.NOTHING, after=gpus(4)
    )
    assert not check.refused
    assert usage.preview_text(check, "nlp") == f"This uses 4 of nlp's 8 {H100} GPUs; 4 would remain"


def test_other_deployments_use_is_named_and_taken_from_what_remains():
    (check,) = usage.assess({"gpu:" + H100: 8}, others=gpus(2), before=usage.NOTHING, after=gpus(4))
    assert usage.preview_text(check, "nlp") == (
        f"This uses 4 of nlp's 8 {H100} GPUs (2 more in use); 2 would remain"
    )


def test_a_refused_check_reads_as_admissions_own_refusal():
    (check,) = usage.assess({"gpu:" + H100: 8}, others=gpus(6), before=usage.NOTHING, after=gpus(4))
    assert check.refused
    assert usage.preview_text(check, "nlp") == (
        f"quota exceeded for {H100}: limit 8, in use 6, requested 4"
    )


def test_one_check_per_limited_resource_in_report_order():
    limits = {"memory": 2**40, "replicas": 10, "gpu:" + H100: 8, "cpu": 64}
    checks = usage.assess(limits, others=usage.NOTHING, before=usage.NOTHING, after=gpus(1))
    assert [c.resource for c in checks] == ["replicas", "cpu", "memory", "gpu:" + H100]
    texts = [usage.preview_text(c, "nlp") for c in checks]
    assert texts[2] == "This uses 1Gi of nlp's 1Ti memory; 1023Gi would remain"


def test_an_unused_limited_resource_says_none_is_used():
    (check,) = usage.assess(
        {"mig:1g.10gb": 7}, others=usage.NOTHING, before=usage.NOTHING, after=gpus(1)
    )
    assert check.requested == Fraction(0)
    assert usage.preview_text(check, "nlp") == (
        "This uses none of nlp's 7 1g.10gb MIG slices; 7 would remain"
    )


@pytest.fixture
def quota(team):
    quota = Quota.objects.create(team=team, replicas=20)
    QuotaLimit.objects.create(quota=quota, resource=H100, limit=2)
    return quota


def test_the_dry_run_refuses_exactly_what_admission_refuses(
    quota, deployment, team, deployer, environment, model_version
):
    checks = quotas.preview(team=team, deployment_id=None, before=usage.NOTHING, after=gpus(2))
    (refused,) = [c for c in checks if c.refused]
    with pytest.raises(ValidationError) as caught:
        services.create_deployment(
            actor=deployer,
            team=team,
            environment=environment,
            name="more",
            model_version=model_version,
            cpu="1",
            memory="1Gi",
            gpu_count=2,
            gpu_model=H100,
        )
    assert caught.value.messages == [usage.preview_text(refused, team.name)]


def test_the_dry_run_of_a_change_leaves_the_deployments_own_use_out(quota, deployment, team):
    before = demand_of(deployment)
    checks = quotas.preview(team=team, deployment_id=deployment.pk, before=before, after=gpus(2))
    gpu_check = next(c for c in checks if c.resource == "gpu:" + H100)
    assert (gpu_check.in_use, gpu_check.requested, gpu_check.refused) == (0, 2, False)


def test_a_team_without_a_quota_has_nothing_to_preview(team, deployment):
    assert quotas.preview(team=team, deployment_id=None, before=usage.NOTHING, after=gpus(9)) == []
