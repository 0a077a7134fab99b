"""A team's quota as people read it: a bar per limited resource, in human units.

'12.1 of 64 cores' and '48 GiB of 512 GiB', not '12100m/64' and '49280Mi/512Gi'.
Pure arithmetic on the usage module's limits and demand; no ORM here.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from apps.quotas import usage

_TITLES = {
    usage.REPLICAS: "Replicas",
    usage.CPU: "CPU",
    usage.MEMORY: "Memory",
    usage.GPUS: "GPUs, any model",
}
TOP_HOLDERS = 3
_GIB = 2**30
_MIB = 2**20


@dataclass(frozen=True)
class Bar:
    """One resource: what is used of what is allowed, and how full (None: no limit)."""

    resource: str
    kind: str
    used: str
    limit: str | None
    percent: int | None
    # The deployments holding the most of it, largest first: (deployment id, words).
    holders: tuple[tuple[int, str], ...] = ()

    @property
    def title(self) -> str:
        """The resource as a heading: 'CPU', 'GPUs, any model', or a GPU model's name."""
        return _TITLES.get(self.kind, self.resource)

    @property
    def text(self) -> str:
        if self.limit is None:
            return f"{self.used} (no limit)"
        return f"{self.used} of {self.limit}"

    @property
    def shown_percent(self) -> int:
        """The bar's fill: at most 100, as a <progress> cannot overflow."""
        return min(self.percent or 0, 100)

    @property
    def full(self) -> bool:
        return self.percent is not None and self.percent >= 90


def _number(value: Fraction, places: int = 1) -> str:
    text = f"{float(value):.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _plural(noun: str, value: Fraction) -> str:
    return noun if value == 1 else noun + "s"


def human(name: str, value: Fraction, *, unit: bool = True) -> str:
    """An amount of resource `name` in the words people use, e.g. '12.1 cores', '48 GiB'."""
    if name == usage.MEMORY:
        if value >= _GIB or value == 0:
            return f"{_number(value / _GIB)} GiB"
        return f"{_number(value / _MIB)} MiB"
    if name == usage.CPU:
        text = _number(value, 2 if value < 1 else 1)
        return f"{text} {'core' if value == 1 else 'cores'}" if unit else text
    if name == usage.GPUS:
        return f"{_number(value, 2)} {_plural('GPU', value)}" if unit else _number(value, 2)
    if name.startswith(usage.MIG_PREFIX):
        return f"{_number(value, 0)} {_plural('slice', value)}" if unit else _number(value, 0)
    if name.startswith(usage.GPU_PREFIX):
        return f"{_number(value, 0)} {_plural('GPU', value)}" if unit else _number(value, 0)
    noun = name.removesuffix("s") if value == 1 else name
    return f"{_number(value, 0)} {noun}" if unit else _number(value, 0)


def top_holders(
    name: str, holdings: Sequence[usage.Holding], count: int = TOP_HOLDERS
) -> tuple[tuple[int, str], ...]:
    """The `count` deployments holding most of resource `name`: (id, 'chat: 4 GPUs')."""
    held = [(h.demand.get(name), h.name, h.deployment_id) for h in holdings if h.demand.get(name)]
    held.sort(key=lambda row: (-row[0], row[1]))
    return tuple((pk, f"{label}: {human(name, amount)}") for amount, label, pk in held[:count])


def bars(
    limits: Mapping[str, Fraction],
    used: usage.Demand,
    holdings: Sequence[usage.Holding] = (),
) -> list[Bar]:
    """Every limited resource, fullest first, then resources in use without a limit."""
    limited = []
    for name, raw in limits.items():
        limit = Fraction(raw)
        held = used.get(name)
        percent = int(held * 100 / limit) if limit else (100 if held else 0)
        limited.append(
            Bar(
                resource=usage.label(name),
                kind=usage.kind(name),
                used=human(name, held, unit=name == usage.MEMORY),
                limit=human(name, limit),
                percent=percent,
                holders=top_holders(name, holdings),
            )
        )
    limited.sort(key=lambda bar: (-(bar.percent or 0), bar.resource))
    unlimited = [
        Bar(
            resource=usage.label(name),
            kind=usage.kind(name),
            used=human(name, used.get(name)),
            limit=None,
            percent=None,
            holders=top_holders(name, holdings),
        )
        for name in sorted(used.amounts)
        if name not in limits and used.get(name)
    ]
    return limited + unlimited
