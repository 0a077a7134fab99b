"""What a change calls for, decided with the resync's own rules.

A change names a deployment (owned kinds and pods carry its id label) or a team
namespace (the namespace kinds). The decision is taken from the informers' stores,
the cluster's state as last seen, against the records:

- an owned object no record wants: deleted, after the resync's checks (an orphan);
- a settled record (its generation applied, Synced) whose objects are missing or
  drifted by the drift rules of `drift.py` (replicas under an HPA are not drift):
  a reconcile, which re-creates or restores them and audits what it did;
- Deployment status that moved, or a pod in trouble: an observe-only reconcile;
- namespace objects missing or drifted: a namespace reconcile.

A record that is not settled (a generation not yet applied, being deleted, refused) is
left alone: the reconcile that is applying it, or the resync, own it, and a watcher that
acted too would only race them. One whose last reconcile found the cluster unreachable
is reconciled again when a change shows the cluster answering.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from apps.clusters import kube
from apps.clusters.models import Cluster
from apps.deployments import conditions, manifests
from apps.deployments.choices import ConditionStatus, ConditionType, Reason, State
from apps.deployments.models import Deployment
from apps.deployments.reconciler.specs import RELATED
from apps.deployments.reconciler.status import is_refused_for_good
from apps.deployments.resync import (
    Plan,
    compare_namespaces,
    compare_record,
    delete_object,
    recorded_elsewhere,
)

Key = tuple[str, str, str]


def deployment_id(obj: dict[str, Any]) -> int | None:
    """The deployment an object or pod belongs to, by its label."""
    ident = (obj["metadata"].get("labels") or {}).get(manifests.DEPLOYMENT_ID, "")
    return int(ident) if ident.isdigit() else None


def settled(record: Deployment) -> bool:
    """Applied, not going, and Synced, or not only because the cluster did not answer:
    then a difference is someone else's doing, and a cluster the watcher sees again is
    one the record can be synced with again (its reconcile may have given up)."""
    synced = conditions.get(record.conditions, ConditionType.SYNCED) or {}
    return (
        record.state != State.DELETING
        and record.observed_generation == record.generation
        and (
            synced.get("status") == ConditionStatus.TRUE
            or synced.get("reason") in (Reason.UNREACHABLE, Reason.APPLY_RETRYING)
        )
        and not is_refused_for_good(record)
    )


def decide_deployments(
    cluster: kube.Cluster,
    cluster_model: Cluster,
    ids: Iterable[int],
    live: dict[Key, dict[str, Any]],
    plan: Plan,
) -> dict[int, Deployment]:
    """Add to `plan` what the deployments `ids` need; returns their records."""
    wanted_ids = set(ids)
    records = {
        record.pk: record
        for record in Deployment.objects.select_related(*RELATED).filter(
            pk__in=wanted_ids, environment__cluster=cluster_model
        )
    }
    owned: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for key, obj in live.items():
        if key[0] != "Pod" and key[0] != "Event":
            ident = deployment_id(obj)
            if ident in wanted_ids:
                owned[ident].append(obj)
    elsewhere = recorded_elsewhere(wanted_ids - set(records))
    for ident in sorted(wanted_ids):
        record = records.get(ident)
        if record is None:
            if ident in elsewhere:
                continue  # its record is under another cluster record, which decides
            for obj in owned.get(ident, []):
                delete_object(cluster, obj, plan, why="orphan: no deployment record")
        elif settled(record):
            compare_record(cluster, record, owned.get(ident, []), live, plan)
    return records


def decide_namespaces(
    cluster_model: Cluster, namespaces: set[str], live: dict[Key, dict[str, Any]], plan: Plan
) -> None:
    """Add to `plan` the namespace reconciles the team namespaces `namespaces` need."""
    records = [
        record
        for record in Deployment.objects.select_related(*RELATED).filter(
            environment__cluster=cluster_model
        )
        if record.namespace in namespaces
    ]
    compare_namespaces(records, live, plan)


def pod_in_trouble(pod: dict[str, Any]) -> bool:
    """Not Ready, or a container waiting or restarted: worth a look at the record."""
    status = pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    containers = status.get("containerStatuses") or []
    return not ready or any(
        (c.get("state") or {}).get("waiting") or c.get("restartCount") for c in containers
    )
