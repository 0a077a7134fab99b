"""Quota arithmetic, without the database."""

from decimal import Decimal
from fractions import Fraction

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


SEVENTH = Fraction(1, 7)


def slices(n: int, profile: str = "1g.10gb", share: Fraction = SEVENTH) -> usage.Demand:
    return usage.pod_demand(
        pods=n, cpu=Decimal(1), memory=Decimal(1), gpu_count=1, mig_profile=profile, mig_share=share
    )


def test_mig_slices_count_against_their_profile_and_as_their_share_of_the_gpu_total():
    demand = usage.pod_demand(
        pods=3,
        cpu=Decimal(1),
        memory=Decimal(1),
        gpu_count=2,
        mig_profile="3g.40gb",
        mig_share=Fraction(3, 7),
    )
    assert demand.get(usage.MIG_PREFIX + "3g.40gb") == 6
    assert demand.get(usage.GPUS) == Fraction(18, 7)


def test_seven_sevenths_are_exactly_one_gpu():
    held = usage.total(slices(1) for _ in range(7))
    assert held.get(usage.GPUS) == 1
    assert usage.amount_text(usage.GPUS, held.get(usage.GPUS)) == "1"


def test_a_gpu_total_of_one_admits_seven_one_seventh_slices_but_not_an_eighth():
    limits = {usage.GPUS: Fraction(1)}
    assert usage.refusals(limits, others=slices(6), before=usage.NOTHING, after=slices(1)) == []
    broken = usage.refusals(limits, others=slices(7), before=usage.NOTHING, after=slices(1))
    assert [usage.refusal_message(*b) for b in broken] == [
        "quota exceeded for gpus: limit 1, in use 1, requested 1/7"
    ]


def test_whole_gpus_and_slices_add_up_exactly():
    held = gpus(1) + slices(4) + slices(1, "3g.40gb", Fraction(3, 7))
    assert held.get(usage.GPUS) == 2
    limits = {usage.GPUS: Fraction(2)}
    assert usage.refusals(limits, others=held, before=usage.NOTHING, after=slices(1))
    mixed = gpus(1) + slices(3)
    rows = {row.resource: row for row in usage.usage_rows(limits, mixed)}
    assert (rows["gpus"].used, rows["gpus"].free) == ("10/7", "4/7")
    assert rows["1g.10gb"].used == "3"  # the profile's own count is in slices


def test_a_profile_missing_from_the_table_counts_as_a_whole_gpu():
    assert usage.slice_share("1g.10gb", {"1g.10gb": SEVENTH}) == SEVENTH
    assert usage.slice_share("9g.99gb", {"1g.10gb": SEVENTH}) == 1


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        (usage.GPUS, Fraction(10, 7), "10/7"),
        (usage.GPUS, Fraction(3), "3"),
        (usage.GPUS, Fraction(1, 2), "0.5"),
        (usage.CPU, Decimal("0.5"), "500m"),
        (usage.CPU, Fraction(2), "2"),
        (usage.MEMORY, Fraction(16 * 2**30), "16Gi"),
        (usage.MEMORY, Fraction(1500), "1500"),
    ],
)
def test_amounts_read_as_people_write_them(name, value, text):
    assert usage.amount_text(name, value) == text


def test_every_default_profile_has_a_share_of_a_gpu(settings):
    assert set(settings.GANTRY_MIG_PROFILES) <= set(settings.GANTRY_MIG_GPU_FRACTIONS)
    shares = settings.GANTRY_MIG_GPU_FRACTIONS
    assert (shares["1g.10gb"], shares["3g.40gb"], shares["7g.80gb"]) == (SEVENTH, Fraction(3, 7), 1)


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
