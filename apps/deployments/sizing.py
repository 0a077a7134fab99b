"""How many pods a deployment may run and what they hold: pure, shared by quotas and
the reconciler so that admission counts exactly what gets applied."""

import math
from typing import Protocol

from django.conf import settings

from apps.core.validators import parse_quantity_value
from apps.deployments.choices import State
from apps.quotas import usage


class Sized(Protocol):
    """The spec fields sizing reads; a Deployment satisfies it."""

    state: str
    replicas: int
    min_replicas: int | None
    max_replicas: int | None
    cpu: str
    memory: str
    gpu_count: int
    gpu_model: str
    mig_profile: str
    canary_weight: int
    canary_version_id: int | None


def canary_replicas(total: int, weight: int) -> int:
    """Pods of the canary version for a stable maximum of `total` and `weight` percent.

    Rounded up, so any non-zero weight runs at least one canary pod.
    """
    if total <= 0 or weight <= 0:
        return 0
    return math.ceil(total * weight / 100)


def max_stable_replicas(spec: Sized) -> int:
    """The most stable pods: the autoscaling maximum, else the fixed count."""
    if spec.min_replicas is not None and spec.max_replicas is not None:
        return spec.max_replicas
    return spec.replicas


def worst_case_pods(spec: Sized) -> int:
    """Stable maximum plus canary pods: what quotas count."""
    stable = max_stable_replicas(spec)
    canary = canary_replicas(stable, spec.canary_weight) if spec.canary_version_id else 0
    return stable + canary


def demand_of(spec: Sized) -> usage.Demand:
    """What a deployment holds against its team's quota. Stopped ones hold nothing;
    one being deleted holds its pods until the reconciler has removed them. A MIG
    slice counts toward the GPU total as its share of a GPU."""
    if spec.state == State.STOPPED:
        return usage.NOTHING
    return usage.pod_demand(
        pods=worst_case_pods(spec),
        cpu=parse_quantity_value(spec.cpu),
        memory=parse_quantity_value(spec.memory),
        gpu_count=spec.gpu_count,
        gpu_model=spec.gpu_model,
        mig_profile=spec.mig_profile,
        mig_share=usage.slice_share(spec.mig_profile, settings.GANTRY_MIG_GPU_FRACTIONS),
    )
