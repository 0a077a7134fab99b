"""The platform overview's arithmetic, without the database: GPUs promised against
GPUs present, and the order of teams."""

from fractions import Fraction
from types import SimpleNamespace

import pytest

from apps.clusters.capacity import NodeRoom
from apps.quotas import overview, usage
from apps.quotas.bars import Bar

H100 = "NVIDIA-H100-80GB-HBM3"
A100 = "NVIDIA-A100-SXM4-80GB"
SHARES = {"1g.10gb": Fraction(1, 7), "3g.40gb": Fraction(3, 7)}


def gpu_node(name: str, product: str, gpus: int) -> NodeRoom:
    amounts = {"cpu": Fraction(64), "nvidia.com/gpu": Fraction(gpus)}
    return NodeRoom(name, product, {}, (), True, amounts, amounts)


def mig_node(name: str, **slices: int) -> NodeRoom:
    amounts = {f"nvidia.com/mig-{p.replace('_', '.')}": Fraction(n) for p, n in slices.items()}
    return NodeRoom(name, "NVIDIA-A100-SXM4-40GB", {}, (), True, amounts, amounts)


def test_nodes_count_gpus_by_product_and_slices_by_profile():
    rooms = [
        gpu_node("h1", H100, 8),
        gpu_node("h2", H100, 8),
        gpu_node("a1", A100, 4),
        gpu_node("cpu", "", 0),
        mig_node("m1", **{"1g_10gb": 7}),
    ]
    have = overview.present(rooms, SHARES)
    assert have.get(usage.GPU_PREFIX + H100) == 16
    assert have.get(usage.GPU_PREFIX + A100) == 4
    assert have.get(usage.MIG_PREFIX + "1g.10gb") == 7
    # Seven 1g.10gb slices are one GPU, as quotas count them.
    assert have.get(usage.GPUS) == 21


def test_quotas_promise_the_sum_of_every_teams_gpu_limits_and_nothing_else():
    promise = overview.promised(
        [
            {usage.GPU_PREFIX + H100: Fraction(16), usage.CPU: Fraction(64)},
            {usage.GPU_PREFIX + H100: Fraction(8), usage.GPUS: Fraction(10)},
            {},
        ]
    )
    assert promise.amounts == {usage.GPU_PREFIX + H100: 24, usage.GPUS: 10}


def test_over_commitment_is_said_in_words():
    line = overview.Commitment(usage.GPU_PREFIX + H100, Fraction(24), Fraction(16))
    assert (line.over, line.excess, line.percent, line.shown_percent) == (True, 8, 150, 100)
    assert line.text == f"Quotas promise 24 {H100} GPUs; the clusters have 16: over-committed by 8"


@pytest.mark.parametrize(
    ("promised", "present", "partial", "ends"),
    [
        (8, 16, False, "the clusters have 16: 8 not promised to any team"),
        (16, 16, False, "the clusters have 16: all promised"),
        (4, 0, False, "the clusters have none: over-committed by 4"),
        (20, 16, True, "the reachable clusters have 16: over-committed by 4"),
    ],
)
def test_spare_full_absent_and_partial_commitments(promised, present, partial, ends):
    line = overview.Commitment(
        usage.GPU_PREFIX + H100, Fraction(promised), Fraction(present), partial
    )
    assert line.text.endswith(ends), line.text


def test_mig_slices_and_the_gpu_total_are_counted_in_their_own_units():
    slices = overview.Commitment(usage.MIG_PREFIX + "1g.10gb", Fraction(14), Fraction(7))
    assert slices.text == (
        "Quotas promise 14 1g.10gb MIG slices; the clusters have 7: over-committed by 7"
    )
    total = overview.Commitment(usage.GPUS, Fraction(30), Fraction(22, 7))
    assert total.text.startswith("Quotas promise 30 GPUs (any model); the clusters have 3.14")


def test_the_gpu_total_is_left_out_when_no_quota_limits_it():
    have = usage.Demand({usage.GPU_PREFIX + H100: Fraction(8), usage.GPUS: Fraction(8)})
    lines = overview.commitments(usage.NOTHING, have)
    assert [c.resource for c in lines] == [usage.GPU_PREFIX + H100]


def test_commitments_cover_both_sides_total_first_then_models_over_committed_first():
    promise = usage.Demand({usage.GPU_PREFIX + A100: Fraction(2), usage.GPUS: Fraction(2)})
    have = usage.Demand(
        {usage.GPU_PREFIX + H100: Fraction(8), usage.GPUS: Fraction(8), "mig:1g.10gb": Fraction(7)}
    )
    lines = overview.commitments(promise, have)
    assert [(c.resource, c.promised, c.present) for c in lines] == [
        (usage.GPUS, 2, 8),
        (usage.GPU_PREFIX + A100, 2, 0),
        (usage.GPU_PREFIX + H100, 0, 8),
        ("mig:1g.10gb", 0, 7),
    ]


def _row(name: str, *percents: int | None) -> overview.TeamUsage:
    team = SimpleNamespace(name=name)
    bars = [Bar(f"r{i}", "cpu", "1", None if p is None else "2", p) for i, p in enumerate(percents)]
    return overview.TeamUsage(team, bars)


def test_teams_sort_fullest_first_with_unlimited_teams_last_or_by_name():
    rows = [_row("a", 10, 40), _row("b"), _row("c", 95), _row("d", None), _row("e", 40)]
    fullest = overview.sort_teams(rows, overview.FULLEST)
    assert [r.team.name for r in fullest] == ["c", "a", "e", "b", "d"]
    by_name = overview.sort_teams(rows, overview.NAME)
    assert [r.team.name for r in by_name] == ["a", "b", "c", "d", "e"]


def test_an_unknown_sort_is_refused_with_the_choices():
    refusal = "Unknown sort 'full': choose one of fullest, name"
    with pytest.raises(overview.SortError, match=refusal):
        overview.sort_teams([], "full")
