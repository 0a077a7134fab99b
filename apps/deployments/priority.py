"""PriorityClasses per tier: plain data for the pods that name them, the chart that
creates them (helm/gantry/templates/priorityclasses.yaml renders the same three) and
the local cluster's set-up.

Production outranks staging, which outranks development, so the scheduler hands
freed GPUs to the highest tier waiting. Only production preempts: its pods may evict
lower-priority pods to get a node (a production model is worth the in-flight
requests and the minutes of weight loading a development pod loses). Staging and
development have `preemptionPolicy: Never`: they queue ahead of lower tiers but never
evict anything, so a development model can never push out production, and neither
can it push out the cluster's other, priority-0 workloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.clusters.choices import Tier

PREEMPT = "PreemptLowerPriority"
NEVER = "Never"


@dataclass(frozen=True)
class TierPriority:
    name: str
    value: int
    preemption_policy: str
    description: str


# Far below the system classes (2,000,000,000 and up), far above the default 0.
TIERS: dict[str, TierPriority] = {
    Tier.PRODUCTION: TierPriority(
        "gantry-production",
        1_000_000,
        PREEMPT,
        "Gantry production model servers: may preempt lower-priority pods for GPUs.",
    ),
    Tier.STAGING: TierPriority(
        "gantry-staging",
        100_000,
        NEVER,
        "Gantry staging model servers: scheduled before development, never preempt.",
    ),
    Tier.DEVELOPMENT: TierPriority(
        "gantry-development",
        10_000,
        NEVER,
        "Gantry development model servers: never preempt; production may preempt them.",
    ),
}


def class_name(tier: str) -> str:
    """The PriorityClass a pod of an environment of `tier` names."""
    return TIERS[tier].name


def priority_class(tier: str) -> dict[str, Any]:
    """The scheduling.k8s.io/v1 PriorityClass of one tier."""
    priority = TIERS[tier]
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": priority.name},
        "value": priority.value,
        "preemptionPolicy": priority.preemption_policy,
        "description": priority.description,
    }


def priority_classes() -> list[dict[str, Any]]:
    """The three classes, highest first."""
    return [priority_class(tier) for tier in (Tier.PRODUCTION, Tier.STAGING, Tier.DEVELOPMENT)]
