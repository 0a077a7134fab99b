"""What a deployment spec would cost and whether it would start, before anyone asks.

The deploy form (and the deployment page's change of resources) show two
previews of a draft spec: the quota lines from admission's own dry run
(`apps.quotas.services.preview`, the checks `admit` makes), and whether its pods
find room in the environment's cluster now (`apps.clusters.capacity` over the
nodes `apps.clusters.inventory` reads). The pod shape weighed is the one the
reconciler applies: the pod template from `manifests`.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from apps.clusters import capacity, inventory
from apps.clusters.models import Environment
from apps.deployments import manifests
from apps.deployments.models import Deployment
from apps.deployments.reconciler.specs import cluster_ref, spec_of
from apps.deployments.sizing import demand_of
from apps.quotas import services as quotas
from apps.quotas import usage


@dataclass(frozen=True)
class QuotaLine:
    text: str
    refused: bool


@dataclass(frozen=True)
class GpuOffer:
    """The GPU models and MIG profiles a form offers for an environment, and whence."""

    gpu_models: list[str]
    mig_profiles: list[str]
    # Empty when read from the cluster; else why the configured lists are offered.
    fallback_reason: str = ""
    cluster: str = ""


def draft(base: Deployment | None, **fields: Any) -> Deployment:
    """An unsaved deployment: `base` (an existing one, left untouched) with `fields` set."""
    record = copy.copy(base) if base is not None else Deployment()
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def quota_lines(record: Deployment, existing: Deployment | None = None) -> list[QuotaLine]:
    """One line per limited resource of the record's team, from admission's dry run."""
    checks = quotas.preview(
        team=record.team,
        deployment_id=existing.pk if existing else None,
        before=demand_of(existing) if existing else usage.NOTHING,
        after=demand_of(record),
    )
    return [QuotaLine(usage.preview_text(c, record.team.name), c.refused) for c in checks]


def quota_refused(lines: list[QuotaLine]) -> bool:
    return any(line.refused for line in lines)


def gpu_offer(environment: Environment | None) -> GpuOffer:
    """What the environment's cluster advertises and the installation allows; the
    configured lists, saying why, when there is no cluster to ask or it does not answer."""
    configured = GpuOffer(list(settings.GANTRY_GPU_MODELS), list(settings.GANTRY_MIG_PROFILES))
    if environment is None:
        return dataclasses.replace(
            configured, fallback_reason="Choose an environment to see the GPUs its cluster has."
        )
    try:
        rooms = inventory.node_rooms(cluster_ref(environment.cluster))
    except inventory.Unavailable as exc:
        return dataclasses.replace(
            configured,
            fallback_reason=f"{exc}, so every GPU model and MIG profile this installation "
            "allows is offered; its nodes may not have them.",
        )
    models, profiles = capacity.advertised(rooms)
    return GpuOffer(
        [m for m in models if m in settings.GANTRY_GPU_MODELS],
        [p for p in profiles if p in settings.GANTRY_MIG_PROFILES],
        cluster=environment.cluster.name,
    )


def pod_ask(record: Deployment) -> capacity.PodAsk:
    """What one of the record's pods asks the scheduler for: its applied template's."""
    spec = dataclasses.replace(spec_of(record), id=record.pk or 0)
    pod = {"spec": manifests.pod_template(spec, manifests.STABLE)["spec"]}
    return capacity.PodAsk(
        requests=capacity.pod_requests(pod),
        node_selector=pod["spec"].get("nodeSelector") or {},
        tolerations=tuple(pod["spec"].get("tolerations") or ()),
    )


def capacity_verdict(record: Deployment) -> capacity.Verdict | str:
    """Whether the record's pods find room in its environment's cluster now, or why
    that cannot be told (the cluster does not answer)."""
    try:
        rooms = inventory.node_rooms(cluster_ref(record.environment.cluster))
    except inventory.Unavailable as exc:
        return f"{exc}, so whether the pods fit cannot be told."
    starting = record.min_replicas if record.min_replicas is not None else record.replicas
    return capacity.fit(rooms, pod_ask(record), pods=max(starting, 1))
