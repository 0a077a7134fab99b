"""Quota arithmetic, without the database."""

from decimal import Decimal

import pytest

from apps.deployments.sizing import canary_replicas
from apps.quotas import usage

H100 = "NVIDIA-H100-80GB-HBM3"


def gpus(n: int, model: str = H100) -> usage.Demand:
    return usage.pod_demand(
        pods=n, cpu=Decimal(1), memory=Decimal(2**30), gpu_count=1, gpu_model=model
    )


@pytest.mark.parametrize(
    ("total", "weight", "expected"),
    [(4, 0, 0), (4, 10, 1), (4, 25, 1), (4, 26, 2), (4, 100, 4), (0, 50, 0), (10, 33, 4)],
)
def test_canary_replicas_round_up_so_any_weight_runs_a_pod(total, weight, expected):
    assert canary_replicas(total, weight) == expected


def test_a_refusal_names_the_resource_limit_use_and_request():
    limits = {usage.GPU_PREFIX + H100: Decimal(8)}
    broken = usage.refusals(limits, others=gpus(6), before=usage.NOTHING, after=gpus(4))
    assert [usage.refusal_message(*b) for b in broken] == [
        f"quota exceeded for {H100}: limit 8, in use 6, requested 4"
    ]


def test_a_request_that_exactly_fills_the_limit_passes():
    limits = {usage.GPUS: Decimal(8)}
    assert usage.refusals(limits, others=gpus(6), before=usage.NOTHING, after=gpus(2)) == []


def test_shrinking_passes_even_when_the_team_is_over_its_limit():
    limits = {usage.GPUS: Decimal(2)}
    assert usage.refusals(limits, others=gpus(6), before=gpus(4), after=gpus(3)) == []


def test_mig_slices_count_against_their_profile_not_the_whole_gpu_total():
    slices = usage.pod_demand(
        pods=3, cpu=Decimal(1), memory=Decimal(1), gpu_count=2, mig_profile="1g.10gb"
    )
    assert slices.get(usage.MIG_PREFIX + "1g.10gb") == 6
    assert slices.get(usage.GPUS) == 0


def test_cpu_and_memory_read_as_people_write_them():
    limits = {usage.CPU: Decimal("4"), usage.MEMORY: Decimal(16 * 2**30)}
    after = usage.pod_demand(pods=3, cpu=Decimal("1.5"), memory=Decimal(8 * 2**30), gpu_count=0)
    messages = [
        usage.refusal_message(*b)
        for b in usage.refusals(limits, others=usage.NOTHING, before=usage.NOTHING, after=after)
    ]
    assert messages == [
        "quota exceeded for cpu: limit 4, in use 0, requested 4500m",
        "quota exceeded for memory: limit 16Gi, in use 0, requested 24Gi",
    ]


def test_usage_rows_list_limited_resources_then_unlimited_ones_in_use():
    limits = {usage.REPLICAS: Decimal(10), usage.GPU_PREFIX + H100: Decimal(8)}
    rows = usage.usage_rows(limits, gpus(3))
    assert [(r.resource, r.kind, r.limit, r.used, r.free) for r in rows] == [
        ("replicas", "replicas", "10", "3", "7"),
        (H100, "gpu_model", "8", "3", "5"),
        ("cpu", "cpu", None, "3", None),
        ("memory", "memory", None, "3Gi", None),
        ("gpus", "gpus", None, "3", None),
    ]


def test_free_never_goes_below_zero():
    rows = usage.usage_rows({usage.GPUS: Decimal(2)}, gpus(5))
    assert rows[0].free == "0"
