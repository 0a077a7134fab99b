"""Quota arithmetic on plain values: what a deployment holds, and what a limit admits.

No ORM here, so the rules are unit-tested directly. Resources are keyed by
name: "replicas", "cpu" (cores), "memory" (bytes), "gpus" (GPUs of any model,
a MIG slice counting as its share of one), "gpu:<model>" and "mig:<profile>".

Amounts are exact fractions: a 1g.10gb slice is 1/7 of a GPU, and seven of
them make exactly one.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

REPLICAS = "replicas"
CPU = "cpu"
MEMORY = "memory"
GPUS = "gpus"
GPU_PREFIX = "gpu:"
MIG_PREFIX = "mig:"

_BINARY_SUFFIXES = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20))


# Cores and bytes arrive as Decimal (parsed quantities), limits as whole numbers.
Amount = Fraction | Decimal | int


@dataclass(frozen=True)
class Demand:
    """Amounts of resources, keyed by resource name; missing means zero."""

    amounts: Mapping[str, Fraction] = field(default_factory=dict)

    def __add__(self, other: "Demand") -> "Demand":
        total = dict(self.amounts)
        for name, amount in other.amounts.items():
            total[name] = total.get(name, Fraction(0)) + amount
        return Demand(total)

    def get(self, name: str) -> Fraction:
        return self.amounts.get(name, Fraction(0))


NOTHING = Demand()


@dataclass(frozen=True)
class Holding:
    """What one deployment holds against its team's quota."""

    deployment_id: int
    name: str
    demand: Demand


def total(demands: Iterable[Demand]) -> Demand:
    result = NOTHING
    for demand in demands:
        result = result + demand
    return result


def slice_share(mig_profile: str, shares: Mapping[str, Fraction]) -> Fraction:
    """What one slice of `mig_profile` counts toward the GPU total (settings'
    GANTRY_MIG_GPU_FRACTIONS). A profile missing from the table (one dropped from the
    settings while deployments still use it) counts as a whole GPU: never as nothing."""
    return Fraction(shares.get(mig_profile, 1))


def pod_demand(
    *,
    pods: int,
    cpu: Amount,
    memory: Amount,
    gpu_count: int,
    gpu_model: str = "",
    mig_profile: str = "",
    mig_share: Fraction = Fraction(1),
) -> Demand:
    """What `pods` pods of one shape hold. A MIG slice counts against its profile's
    limit in slices, and against the GPU total as `mig_share` of a GPU each."""
    amounts = {
        REPLICAS: Fraction(pods),
        CPU: Fraction(cpu) * pods,
        MEMORY: Fraction(memory) * pods,
    }
    if gpu_count:
        if mig_profile:
            amounts[MIG_PREFIX + mig_profile] = Fraction(gpu_count * pods)
            amounts[GPUS] = mig_share * gpu_count * pods
        else:
            amounts[GPUS] = Fraction(gpu_count * pods)
            if gpu_model:
                amounts[GPU_PREFIX + gpu_model] = Fraction(gpu_count * pods)
    return Demand(amounts)


@dataclass(frozen=True)
class Check:
    """One limited resource weighed for a change: what admission decides, and why."""

    resource: str
    limit: Fraction
    in_use: Fraction  # held by the team's other deployments
    requested: Fraction  # held by this deployment after the change
    refused: bool

    @property
    def remaining(self) -> Fraction:
        return self.limit - self.in_use - self.requested


def assess(
    limits: Mapping[str, Amount], *, others: Demand, before: Demand, after: Demand
) -> list[Check]:
    """Every limited resource weighed for a change from `before` to `after`.

    `others` is what the team's other deployments hold. Only resources the change
    grows can be refused, so shrinking, stopping or deleting always passes, even for
    a team already over a limit an admin has lowered.
    """
    checks = []
    for name, raw_limit in sorted(limits.items(), key=lambda item: _order(item[0])):
        limit = Fraction(raw_limit)
        requested = after.get(name)
        in_use = others.get(name)
        grows = requested > before.get(name)
        checks.append(Check(name, limit, in_use, requested, grows and in_use + requested > limit))
    return checks


def refusals(
    limits: Mapping[str, Amount], *, others: Demand, before: Demand, after: Demand
) -> list[tuple[str, Fraction, Fraction, Fraction]]:
    """The (resource, limit, in use, requested) that a change from `before` to `after` breaks."""
    return [
        (c.resource, c.limit, c.in_use, c.requested)
        for c in sorted(
            assess(limits, others=others, before=before, after=after), key=lambda c: c.resource
        )
        if c.refused
    ]


def preview_text(check: Check, team: str) -> str:
    """A check in words, e.g. `This uses 4 of nlp's 8 NVIDIA-H100-80GB-HBM3 GPUs; 4 would
    remain`; a refused one is admission's own refusal message."""
    name = check.resource
    if check.refused:
        return refusal_message(name, check.limit, check.in_use, check.requested)
    used = amount_text(name, check.requested) if check.requested else "none"
    others = f" ({amount_text(name, check.in_use)} more in use)" if check.in_use else ""
    remaining = amount_text(name, max(check.remaining, Fraction(0)))
    return (
        f"This uses {used} of {team}'s {amount_text(name, check.limit)} {noun(name)}{others}; "
        f"{remaining} would remain"
    )


def noun(name: str) -> str:
    """What a resource's amounts count, in words: 'GPUs (any model)', 'CPU cores'."""
    if name.startswith(GPU_PREFIX):
        return f"{label(name)} GPUs"
    if name.startswith(MIG_PREFIX):
        return f"{label(name)} MIG slices"
    return {GPUS: "GPUs (any model)", CPU: "CPU cores", MEMORY: "memory"}.get(name, name)


def refusal_message(name: str, limit: Amount, in_use: Amount, requested: Amount) -> str:
    """e.g. `quota exceeded for NVIDIA-H100-80GB-HBM3: limit 8, in use 6, requested 4`."""
    return (
        f"quota exceeded for {label(name)}: limit {amount_text(name, limit)}, "
        f"in use {amount_text(name, in_use)}, requested {amount_text(name, requested)}"
    )


@dataclass(frozen=True)
class UsageRow:
    """One line of a team's usage report; `limit` and `free` are None without a limit."""

    resource: str
    kind: str
    limit: str | None
    used: str
    free: str | None


def usage_rows(limits: Mapping[str, Amount], used: Demand) -> list[UsageRow]:
    """Every limited resource, then every resource in use without a limit."""
    names = sorted(limits, key=_order) + sorted(
        (n for n in used.amounts if n not in limits and used.get(n)), key=_order
    )
    rows = []
    for name in names:
        limit = None if limits.get(name) is None else Fraction(limits[name])
        held = used.get(name)
        rows.append(
            UsageRow(
                resource=label(name),
                kind=kind(name),
                limit=None if limit is None else amount_text(name, limit),
                used=amount_text(name, held),
                free=None if limit is None else amount_text(name, max(limit - held, Fraction(0))),
            )
        )
    return rows


def spec_field(name: str) -> str:
    """The deployment field that asks for a resource: where a refusal points the user."""
    if name in (GPUS,) or name.startswith((GPU_PREFIX, MIG_PREFIX)):
        return "gpu_count"
    return name  # replicas, cpu and memory are asked for under their own names


def label(name: str) -> str:
    return name.split(":", 1)[1] if ":" in name else name


def kind(name: str) -> str:
    if name.startswith(GPU_PREFIX):
        return "gpu_model"
    if name.startswith(MIG_PREFIX):
        return "mig_profile"
    return name


def amount_text(name: str, value: Amount) -> str:
    """Amounts as people write them: cores as '2' or '500m', memory as '16Gi',
    GPUs holding MIG slices as '10/7' (exact: ten sevenths of a GPU)."""
    value = Fraction(value)
    if name == MEMORY:
        for suffix, size in _BINARY_SUFFIXES:
            if value and value % size == 0:
                return f"{value // size}{suffix}"
        return _plain(value)
    if name == CPU and value.denominator != 1:
        return f"{_plain(value * 1000)}m"
    return _plain(value)


def _plain(value: Fraction) -> str:
    """A whole number as is, a finite decimal in decimals, anything else as n/d."""
    if value.denominator == 1:
        return str(value.numerator)
    rest = value.denominator
    for factor in (2, 5):
        while rest % factor == 0:
            rest //= factor
    if rest != 1:
        return f"{value.numerator}/{value.denominator}"
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _order(name: str) -> tuple[int, str]:
    rank = {REPLICAS: 0, CPU: 1, MEMORY: 2, GPUS: 3}
    return (rank.get(name, 4), name)
