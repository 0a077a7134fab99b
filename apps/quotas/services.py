"""Quota admission and usage reports.

Admission runs inside the deployment services' transaction: it locks the
team's Quota row (select_for_update), then reads what the team holds, so two
concurrent changes of one team are admitted one after the other and can never
together pass a limit. A team without a Quota row has no limits and takes no
lock.

What a team holds is computed by the deployments app, which comes later in
the import order; it registers that function here when Django starts (see
`apps.deployments.apps`), the same inversion the audit trail uses.
"""

from collections.abc import Callable
from fractions import Fraction

from django.core.exceptions import ValidationError

from apps.accounts.models import Team
from apps.core.validators import parse_quantity_value
from apps.quotas import bars, usage
from apps.quotas.models import Quota, QuotaLimit

# (team, deployment id to leave out or None) -> what each of the team's deployments holds.
HoldingsFn = Callable[[Team, int | None], list[usage.Holding]]
# () -> what each deployment of every team holds, by team id, in one query.
AllHoldingsFn = Callable[[], dict[int, list[usage.Holding]]]
_holdings: HoldingsFn | None = None
_all_holdings: AllHoldingsFn | None = None


def register_holdings(fn: HoldingsFn, by_team: AllHoldingsFn | None = None) -> None:
    global _holdings, _all_holdings
    _holdings = fn
    _all_holdings = by_team


def holdings_of(team: Team, *, excluding: int | None = None) -> list[usage.Holding]:
    """What each of `team`'s deployments (but `excluding`) holds against its quota."""
    if _holdings is None:
        raise RuntimeError("No holdings function is registered; is apps.deployments installed?")
    return _holdings(team, excluding)


def held_by_team(team: Team, *, excluding: int | None = None) -> usage.Demand:
    return usage.total(holding.demand for holding in holdings_of(team, excluding=excluding))


def holdings_of_every_team() -> dict[int, list[usage.Holding]]:
    """What each deployment holds, by team id; teams holding nothing are absent."""
    if _all_holdings is None:
        raise RuntimeError("No holdings function is registered; is apps.deployments installed?")
    return _all_holdings()


def limits_of(quota: Quota) -> dict[str, Fraction]:
    """The quota's limits keyed by usage resource name; unset limits are absent.

    The GPU total counts whole GPUs and MIG slices alike, each slice as its share
    of a GPU (settings.GANTRY_MIG_GPU_FRACTIONS); MIG profile limits count slices.
    """
    limits: dict[str, Fraction] = {}
    if quota.replicas is not None:
        limits[usage.REPLICAS] = Fraction(quota.replicas)
    if quota.gpus_total is not None:
        limits[usage.GPUS] = Fraction(quota.gpus_total)
    if quota.cpu:
        limits[usage.CPU] = Fraction(parse_quantity_value(quota.cpu))
    if quota.memory:
        limits[usage.MEMORY] = Fraction(parse_quantity_value(quota.memory))
    for row in quota.limits.all():
        prefix = usage.GPU_PREFIX if row.kind == QuotaLimit.Kind.GPU_MODEL else usage.MIG_PREFIX
        limits[prefix + row.resource] = Fraction(row.limit)
    return limits


def admit(
    *, team: Team, deployment_id: int | None, before: usage.Demand, after: usage.Demand
) -> None:
    """Refuse a change from `before` to `after` that would take `team` over its quota.

    Must run inside the transaction that writes the change: the lock taken here
    is what serialises concurrent admissions of the same team.
    """
    quota = Quota.objects.select_for_update().filter(team=team).first()
    if quota is None:
        return
    broken = [c for c in _checks(quota, team, deployment_id, before, after) if c.refused]
    if broken:
        raise ValidationError(
            [
                ValidationError(
                    usage.refusal_message(c.resource, c.limit, c.in_use, c.requested),
                    code="quota_exceeded",
                    params={"field": usage.spec_field(c.resource)},
                )
                for c in sorted(broken, key=lambda c: c.resource)
            ]
        )


def preview(
    *, team: Team, deployment_id: int | None, before: usage.Demand, after: usage.Demand
) -> list[usage.Check]:
    """Admission's dry run: the same checks `admit` makes, one per limited resource,
    without the lock and without refusing. A form shows them before the user asks;
    `admit` still decides when the change is made (a race may refuse it there).
    """
    quota = Quota.objects.filter(team=team).prefetch_related("limits").first()
    if quota is None:
        return []
    return _checks(quota, team, deployment_id, before, after)


def _checks(
    quota: Quota,
    team: Team,
    deployment_id: int | None,
    before: usage.Demand,
    after: usage.Demand,
) -> list[usage.Check]:
    return usage.assess(
        limits_of(quota),
        others=held_by_team(team, excluding=deployment_id),
        before=before,
        after=after,
    )


def team_usage(team: Team) -> list[usage.UsageRow]:
    """Limit, used and free for every limited resource, and any other resource in use."""
    quota = Quota.objects.filter(team=team).prefetch_related("limits").first()
    limits = limits_of(quota) if quota else {}
    return usage.usage_rows(limits, held_by_team(team))


def team_bars(team: Team) -> list[bars.Bar]:
    """The team's usage against its limits, in human units, fullest first."""
    quota = Quota.objects.filter(team=team).prefetch_related("limits").first()
    limits = limits_of(quota) if quota else {}
    return bars_of(limits, holdings_of(team))


def bars_of(limits: dict[str, Fraction], holdings: list[usage.Holding]) -> list[bars.Bar]:
    """Bars of what `holdings` hold together against `limits`, naming the top holders:
    the team quota page's and the platform overview's alike."""
    used = usage.total(holding.demand for holding in holdings)
    return bars.bars(limits, used, holdings)
