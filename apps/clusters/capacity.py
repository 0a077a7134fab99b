"""Whether a pod would find room in a cluster now: pure, over nodes and pods as plain data.

The scheduler places a pod on a node that is Ready and not cordoned, whose taints
the pod tolerates, whose labels match the pod's node selector, and whose
allocatable resources, less the requests of the pods already bound to it, cover
the pod's requests. This module answers the same question from the same data
(read by `apps.clusters.inventory`), to tell a user before deploying whether the
pods will start or wait. It informs; the scheduler decides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from apps.core.lib.quantity import QuantityError, exact_value

GPU_RESOURCE = "nvidia.com/gpu"
MIG_PREFIX = "nvidia.com/mig-"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
# Taints with these effects keep pods off; PreferNoSchedule only discourages.
BLOCKING_EFFECTS = {"NoSchedule", "NoExecute"}
FINISHED_PHASES = {"Succeeded", "Failed"}
_BINARY = (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


@dataclass(frozen=True)
class NodeRoom:
    """One node as the scheduler weighs it, and what its bound pods leave free."""

    name: str
    product: str  # the nvidia.com/gpu.product label; "" on nodes without it
    labels: Mapping[str, str]
    taints: tuple[Mapping[str, str], ...]
    schedulable: bool  # Ready and not cordoned
    allocatable: Mapping[str, Fraction]
    free: Mapping[str, Fraction]


@dataclass(frozen=True)
class PodAsk:
    """What one pod requests, and where it may go."""

    requests: Mapping[str, Fraction]
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True)
class Verdict:
    """`fits`: all the pods find room now. `text` says so, or why they would wait."""

    fits: bool
    room_for: int
    pods: int
    text: str


def amount(text: Any) -> Fraction:
    """A quantity as an exact number; anything unreadable counts as none."""
    try:
        return exact_value(str(text))
    except QuantityError:
        return Fraction(0)


def pod_requests(pod: Mapping[str, Any]) -> dict[str, Fraction]:
    """What the scheduler counts for a pod: the containers' requests summed, or an
    init container's when larger (they run one at a time, before the rest), plus overhead."""
    spec = pod.get("spec") or {}
    total: dict[str, Fraction] = {"pods": Fraction(1)}
    for container in spec.get("containers") or []:
        for name, value in _requests(container).items():
            total[name] = total.get(name, Fraction(0)) + value
    for container in spec.get("initContainers") or []:
        for name, value in _requests(container).items():
            total[name] = max(total.get(name, Fraction(0)), value)
    for name, value in (spec.get("overhead") or {}).items():
        total[name] = total.get(name, Fraction(0)) + amount(value)
    return total


def _requests(container: Mapping[str, Any]) -> dict[str, Fraction]:
    resources = container.get("resources") or {}
    # A container with limits but no requests is given requests equal to its limits.
    declared = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
    return {name: amount(value) for name, value in declared.items()}


def node_rooms(
    nodes: Iterable[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]
) -> list[NodeRoom]:
    """Each node with its allocatable resources less the requests of pods bound to it."""
    used: dict[str, dict[str, Fraction]] = {}
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if not node or (pod.get("status") or {}).get("phase") in FINISHED_PHASES:
            continue
        held = used.setdefault(node, {})
        for name, value in pod_requests(pod).items():
            held[name] = held.get(name, Fraction(0)) + value
    rooms = []
    for node in nodes:
        meta, spec, status = (
            node.get("metadata") or {},
            node.get("spec") or {},
            node.get("status") or {},
        )
        name = meta.get("name", "")
        labels = dict(meta.get("labels") or {})
        allocatable = {k: amount(v) for k, v in (status.get("allocatable") or {}).items()}
        held = used.get(name, {})
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        rooms.append(
            NodeRoom(
                name=name,
                product=labels.get(GPU_PRODUCT_LABEL, ""),
                labels=labels,
                taints=tuple(
                    {k: str(t.get(k) or "") for k in ("key", "value", "effect")}
                    for t in spec.get("taints") or []
                ),
                schedulable=ready and not spec.get("unschedulable"),
                allocatable=allocatable,
                free={k: v - held.get(k, Fraction(0)) for k, v in allocatable.items()},
            )
        )
    return sorted(rooms, key=lambda r: r.name)


def tolerates(tolerations: Iterable[Mapping[str, str]], taint: Mapping[str, str]) -> bool:
    """Kubernetes' rule: a toleration matches a taint's effect (or all effects), its key
    (or, with operator Exists and no key, every key), and its value unless Exists."""
    for toleration in tolerations:
        effect = toleration.get("effect") or ""
        if effect and effect != taint.get("effect"):
            continue
        key = toleration.get("key") or ""
        exists = toleration.get("operator") == "Exists"
        if not key and exists:
            return True
        if key != taint.get("key"):
            continue
        if exists or (toleration.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def eligible(room: NodeRoom, ask: PodAsk) -> bool:
    """Whether the pod may go to the node at all, room aside."""
    return (
        room.schedulable
        and all(room.labels.get(k) == v for k, v in ask.node_selector.items())
        and all(
            tolerates(ask.tolerations, taint)
            for taint in room.taints
            if taint.get("effect") in BLOCKING_EFFECTS
        )
    )


def slots(room: NodeRoom, ask: PodAsk) -> int:
    """How many such pods fit in what the node has free."""
    counts = [
        math.floor(room.free.get(name, Fraction(0)) / need)
        for name, need in ask.requests.items()
        if need > 0
    ]
    return max(0, min(counts)) if counts else 0


def advertised(rooms: Iterable[NodeRoom]) -> tuple[list[str], list[str]]:
    """The GPU models (nvidia.com/gpu.product of nodes with allocatable GPUs) and MIG
    profiles (allocatable nvidia.com/mig-<profile>) that the nodes offer."""
    models, profiles = set(), set()
    for room in rooms:
        if room.product and room.allocatable.get(GPU_RESOURCE, 0) > 0:
            models.add(room.product)
        for name, value in room.allocatable.items():
            if name.startswith(MIG_PREFIX) and value > 0:
                profiles.add(name.removeprefix(MIG_PREFIX))
    return sorted(models), sorted(profiles)


def fit(rooms: Iterable[NodeRoom], ask: PodAsk, pods: int = 1) -> Verdict:
    """Whether `pods` pods of `ask` find room now, in words, e.g. `Fits now: 2 of 3
    NVIDIA-H100-80GB-HBM3 nodes have 4 free GPUs` or `Will wait: no node has 8 free
    nvidia.com/gpu (largest free: 4 on gantry-gpu-h100-1)`."""
    main = _main_resource(ask)
    candidates = [
        r for r in rooms if eligible(r, ask) and (main == "cpu" or r.allocatable.get(main, 0) > 0)
    ]
    room_for = sum(slots(r, ask) for r in candidates)
    fitting = [r for r in candidates if slots(r, ask) > 0]
    if not fitting:
        return Verdict(False, 0, pods, "Will wait: " + _why_not(candidates, ask, main))
    have = "has" if len(fitting) == 1 else "have"
    nodes = f"{len(fitting)} of {len(candidates)} {_nodes_noun(ask, main)}"
    text = f"{nodes} {have} {_free_text(ask, main)}"
    if room_for >= pods:
        extra = f" (room for {room_for} pods; {pods} wanted)" if pods > 1 else ""
        return Verdict(True, room_for, pods, f"Fits now: {text}{extra}")
    return Verdict(
        False,
        room_for,
        pods,
        f"Partly fits: room for {room_for} of the {pods} pods now, the rest will wait; {text}",
    )


def _main_resource(ask: PodAsk) -> str:
    for name, need in ask.requests.items():
        if need > 0 and (name == GPU_RESOURCE or name.startswith(MIG_PREFIX)):
            return name
    return "cpu"


def _nodes_noun(ask: PodAsk, main: str) -> str:
    product = ask.node_selector.get(GPU_PRODUCT_LABEL)
    if product:
        return f"{product} nodes"
    if main == GPU_RESOURCE:
        return "GPU nodes"
    if main.startswith(MIG_PREFIX):
        return "MIG nodes"
    return "nodes"


def _free_text(ask: PodAsk, main: str) -> str:
    need = ask.requests.get(main, Fraction(0))
    if main == GPU_RESOURCE:
        return f"{quantity_text(main, need)} free GPU{'s' if need != 1 else ''}"
    if main.startswith(MIG_PREFIX):
        slices = "slice" if need == 1 else "slices"
        return f"{quantity_text(main, need)} free {main.removeprefix(MIG_PREFIX)} MIG {slices}"
    cpu = quantity_text("cpu", ask.requests.get("cpu", Fraction(0)))
    memory = quantity_text("memory", ask.requests.get("memory", Fraction(0)))
    return f"{cpu} CPU and {memory} memory free"


def _why_not(candidates: list[NodeRoom], ask: PodAsk, main: str) -> str:
    if not candidates:
        product = ask.node_selector.get(GPU_PRODUCT_LABEL)
        if product:
            return f"no node in this cluster offers {product} GPUs that this deployment may use"
        if main != "cpu":
            return f"no node in this cluster offers {main}"
        return "no node in this cluster is ready to take pods"
    order = [main, *sorted(n for n in ask.requests if n != main)]
    for name in order:
        need = ask.requests[name] if name in ask.requests else Fraction(0)
        if need <= 0:
            continue
        best = max(candidates, key=lambda r: (r.free.get(name, Fraction(0)), r.name))
        most = best.free.get(name, Fraction(0))
        if most < need:
            return (
                f"no node has {quantity_text(name, need)} free {name} "
                f"(largest free: {quantity_text(name, max(most, Fraction(0)))} on {best.name})"
            )
    return f"no node has all of {_asked(ask)} free at once"


def _asked(ask: PodAsk) -> str:
    return ", ".join(
        f"{quantity_text(n, v)} {n}"
        for n, v in sorted(ask.requests.items())
        if v > 0 and n != "pods"
    )


def quantity_text(name: str, value: Fraction) -> str:
    """An amount as people write it: memory as '16Gi', CPU as '2' or '500m'."""
    if name in ("memory", "ephemeral-storage"):
        for suffix, size in _BINARY:
            if value and value % size == 0:
                return f"{value // size}{suffix}"
        if value >= 2**30:
            return f"{float(value / 2**30):.1f}Gi"
    if value.denominator == 1:
        return str(value.numerator)
    if name == "cpu" and (value * 1000).denominator == 1:
        return f"{value * 1000}m"
    return f"{float(value):g}"
