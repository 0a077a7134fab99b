"""Deletion: every owned object goes, and only then the record.

Foreground propagation keeps each Deployment visible until its ReplicaSets and
pods are gone, so "nothing listed" really means nothing left. A worker killed
half-way leaves the record in state deleting, and the next run carries on.
"""

from __future__ import annotations

from django.db import transaction

from apps.clusters import kube
from apps.core import audit
from apps.core.lib.crashpoints import crashpoint
from apps.deployments import manifests
from apps.deployments.choices import ConditionStatus, ConditionType, Reason, State
from apps.deployments.conditions import Status
from apps.deployments.constants import DEPLOYMENT_KINDS
from apps.deployments.models import Deployment
from apps.deployments.reconciler.status import write_status
from apps.deployments.services import deletion_requested_by

SHOWN = 5


def remaining_objects(cluster: kube.Cluster, spec: manifests.DeploymentSpec) -> list[str]:
    """Ask for every owned object to go; return those still there, pods included."""
    labels = {
        manifests.DEPLOYMENT_ID: str(spec.id),
        manifests.INSTALLATION: spec.installation,
    }
    remaining = []
    for kind in DEPLOYMENT_KINDS:
        if not cluster.serves(kind):
            continue  # a custom resource this cluster lacks holds nothing
        for obj in cluster.list(kind, namespace=spec.namespace, labels=labels):
            name = obj["metadata"]["name"]
            if not obj["metadata"].get("deletionTimestamp"):
                # Foreground only where there are dependents (a Deployment's ReplicaSets and
                # pods): on a custom resource its finalizer waits for the garbage collector
                # to learn the kind, which can take a while after the CRD came.
                propagation = "Foreground" if kind == "Deployment" else "Background"
                cluster.delete(kind, name, spec.namespace, propagation=propagation)
            remaining.append(f"{kind}/{name}")
    crashpoint("delete-requested")
    remaining += [
        f"Pod/{pod['metadata']['name']}"
        for pod in cluster.list("Pod", namespace=spec.namespace, labels=labels)
    ]
    return remaining


def report_waiting(
    record: Deployment, spec: manifests.DeploymentSpec, remaining: list[str]
) -> None:
    shown = ", ".join(remaining[:SHOWN]) + (" …" if len(remaining) > SHOWN else "")
    message = f"Waiting for {len(remaining)} objects to go: {shown}."
    write_status(
        record,
        spec,
        {ConditionType.SYNCED: Status(ConditionStatus.FALSE, Reason.DELETING, message)},
    )


def delete_record(record: Deployment, cluster_name: str) -> None:
    """The cluster holds nothing of it any more: the record goes, with an audit event."""
    with transaction.atomic():
        audit.record(
            actor=deletion_requested_by(record),
            verb="delete",
            target=record.audit_target,
            message=f"Deleted: no objects are left in cluster {cluster_name}.",
            team=record.team,
        )
        Deployment.objects.filter(pk=record.pk, state=State.DELETING).delete()
