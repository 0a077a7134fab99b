"""The platform quota overview: every team's usage against its limits, and what all
quotas together promise of each GPU model and MIG profile against what the clusters'
nodes actually have.

A constant number of queries however many teams there are (teams, quotas with their
limits, every deployment's sizing, clusters); nodes are read through
`apps.clusters.inventory`, cached as the deploy page's previews are. A cluster that
cannot be reached is named, and what was reachable is counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings

from apps.accounts.models import Team
from apps.clusters import capacity, inventory
from apps.clusters.models import Cluster
from apps.quotas import bars, usage
from apps.quotas.models import Quota
from apps.quotas.services import bars_of, holdings_of_every_team, limits_of

FULLEST = "fullest"
NAME = "name"
SORTS = (FULLEST, NAME)


class SortError(ValueError):
    """An unknown `sort`; the message names the choices."""


@dataclass(frozen=True)
class TeamUsage:
    """One team's bars, as the team's own quota page draws them."""

    team: Team
    bars: list[bars.Bar]

    @property
    def fullest(self) -> int | None:
        """The fullest limited resource's percent; None for a team without limits."""
        percents = [bar.percent for bar in self.bars if bar.percent is not None]
        return max(percents) if percents else None


def check_sort(sort: str) -> str:
    if sort not in SORTS:
        raise SortError(f"Unknown sort '{sort}': choose one of {', '.join(SORTS)}.")
    return sort


def sort_teams(rows: Iterable[TeamUsage], sort: str) -> list[TeamUsage]:
    """Fullest first (teams without limits last), or by name."""
    if check_sort(sort) == NAME:
        return sorted(rows, key=lambda row: row.team.name)
    return sorted(
        rows,
        key=lambda row: (row.fullest is None, -(row.fullest or 0), row.team.name),
    )


@dataclass(frozen=True)
class Commitment:
    """What all teams' quotas promise of one resource against what the nodes have."""

    resource: str  # a usage name: "gpus", "gpu:<model>" or "mig:<profile>"
    promised: Fraction
    present: Fraction
    partial: bool = False  # some cluster could not be reached

    @property
    def title(self) -> str:
        return "GPUs, any model" if self.resource == usage.GPUS else usage.label(self.resource)

    @property
    def kind(self) -> str:
        return usage.kind(self.resource)

    @property
    def excess(self) -> Fraction:
        return max(self.promised - self.present, Fraction(0))

    @property
    def over(self) -> bool:
        return self.promised > self.present

    @property
    def percent(self) -> int:
        """Promised as a share of present; a promise of what no node has is 100 %."""
        if self.present:
            return int(self.promised * 100 / self.present)
        return 100 if self.promised else 0

    @property
    def shown_percent(self) -> int:
        return min(self.percent, 100)

    @property
    def text(self) -> str:
        """e.g. 'Quotas promise 24 NVIDIA-H100 GPUs; the clusters have 16: over-committed
        by 8'."""
        name = self.resource
        clusters = "the reachable clusters" if self.partial else "the clusters"
        have = bars.human(name, self.present, unit=False) if self.present else "none"
        head = (
            f"Quotas promise {bars.human(name, self.promised, unit=False)} {usage.noun(name)}; "
            f"{clusters} have {have}"
        )
        if self.over:
            return f"{head}: over-committed by {bars.human(name, self.excess, unit=False)}"
        if self.promised == self.present:
            return f"{head}: all promised"
        spare = bars.human(name, self.present - self.promised, unit=False)
        return f"{head}: {spare} not promised to any team"


def _gpu_limits(limits: Mapping[str, Fraction]) -> dict[str, Fraction]:
    return {
        name: value
        for name, value in limits.items()
        if name == usage.GPUS or name.startswith((usage.GPU_PREFIX, usage.MIG_PREFIX))
    }


def promised(team_limits: Iterable[Mapping[str, Fraction]]) -> usage.Demand:
    """The GPU limits of every team summed: what the quotas together promise."""
    return usage.total(usage.Demand(_gpu_limits(limits)) for limits in team_limits)


def present(rooms: Iterable[capacity.NodeRoom], shares: Mapping[str, Fraction]) -> usage.Demand:
    """What the nodes have, in the quotas' terms: allocatable nvidia.com/gpu by the
    nvidia.com/gpu.product label, MIG slices by profile, and all GPUs with each slice
    counted as its share of one (as quotas count them)."""
    amounts: dict[str, Fraction] = {}

    def add(name: str, value: Fraction) -> None:
        amounts[name] = amounts.get(name, Fraction(0)) + value

    for room in rooms:
        gpus = room.allocatable.get(capacity.GPU_RESOURCE, Fraction(0))
        if gpus > 0:
            add(usage.GPUS, gpus)
            if room.product:
                add(usage.GPU_PREFIX + room.product, gpus)
        for resource, value in room.allocatable.items():
            if resource.startswith(capacity.MIG_PREFIX) and value > 0:
                profile = resource.removeprefix(capacity.MIG_PREFIX)
                add(usage.MIG_PREFIX + profile, value)
                add(usage.GPUS, value * usage.slice_share(profile, shares))
    return usage.Demand(amounts)


def commitments(
    promise: usage.Demand, have: usage.Demand, *, partial: bool = False
) -> list[Commitment]:
    """One line per GPU resource that quotas promise or nodes have: the GPU total (when
    some quota limits it), then GPU models, then MIG profiles; over-committed ones first
    within each."""
    names = set(promise.amounts) | set(have.amounts)
    if not promise.get(usage.GPUS):
        # No team has a total limit: "promise 0 of 17.86 GPUs" would only be noise.
        names.discard(usage.GPUS)
    rows = [Commitment(n, promise.get(n), have.get(n), partial) for n in names]
    rank = {usage.GPUS: 0, "gpu_model": 1, "mig_profile": 2}
    return sorted(rows, key=lambda c: (rank.get(c.kind, 3), not c.over, c.resource))


@dataclass(frozen=True)
class Overview:
    """Everything the page shows."""

    teams: list[TeamUsage]
    commitments: list[Commitment]
    clusters_reached: list[str]
    unreachable: list[str]  # why, in words, per cluster not reached


def _supply() -> tuple[usage.Demand, list[str], list[str]]:
    rooms: list[capacity.NodeRoom] = []
    reached, unreachable = [], []
    for cluster in Cluster.objects.filter(is_active=True).order_by("name"):
        try:
            rooms += inventory.node_rooms(inventory.cluster_ref(cluster))
        except inventory.Unavailable as exc:
            unreachable.append(str(exc))
        else:
            reached.append(cluster.name)
    return present(rooms, settings.GANTRY_MIG_GPU_FRACTIONS), reached, unreachable


def platform_overview(sort: str = FULLEST) -> Overview:
    """Every team's bars sorted by `sort`, and the GPU commitments (SortError if unknown)."""
    check_sort(sort)  # before asking any cluster
    quotas = {q.team_id: q for q in Quota.objects.prefetch_related("limits")}
    limits = {team_id: limits_of(quota) for team_id, quota in quotas.items()}
    held = holdings_of_every_team()
    rows = [
        TeamUsage(team, bars_of(limits.get(team.pk, {}), held.get(team.pk, [])))
        for team in Team.objects.order_by("name")
    ]
    have, reached, unreachable = _supply()
    return Overview(
        teams=sort_teams(rows, sort),
        commitments=commitments(promised(limits.values()), have, partial=bool(unreachable)),
        clusters_reached=reached,
        unreachable=unreachable,
    )
