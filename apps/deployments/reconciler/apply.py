"""Applying: server-side apply of what a spec wants, and deletion of what it no longer does.

Gantry applies without force and takes back only fields that imperative edits
took from it; a field another declarative applier holds is a conflict the record
reports, never a tug of war.
"""

from __future__ import annotations

from typing import Any

from apps.clusters import kube
from apps.core.lib.crashpoints import crashpoint
from apps.deployments import manifests
from apps.deployments.choices import Reason
from apps.deployments.constants import FIELD_MANAGER, HANDOFF_MANAGER
from apps.deployments.models import Deployment

HPA = "HorizontalPodAutoscaler"


class ApplyRefused(Exception):
    """The cluster refused the spec for good; the record says why and nothing retries it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def apply_object(
    cluster: kube.Cluster,
    obj: dict[str, Any],
    notes: list[str],
    *,
    taking_back: frozenset[str] = frozenset(),
    applied_before: bool = False,
) -> dict[str, Any]:
    """Apply without force; take back only fields that imperative edits took from Gantry.

    A field that `kubectl edit/scale/set` or a PATCH changed moved to that client's
    field manager with an Update operation: that is drift from the record, and
    Gantry restores it (saying so in `notes`). A field another *applier* (Argo CD,
    Flux, a second Gantry) holds is a real disagreement between two declarative
    owners; forcing would make them fight, so it becomes a FieldConflict condition.
    `taking_back` names fields Gantry lent out on purpose (spec.replicas, to an HPA
    now gone): taking those back is no drift worth a note. An object Gantry had
    `applied_before` that the apply had to create again was deleted by someone else.
    """
    meta = obj["metadata"]
    where = f"{obj['kind']} {meta['name']}"
    try:
        result, created = cluster.apply_created(obj)
    except kube.FieldConflict as exc:
        rivals = sorted({c.manager for c in exc.conflicts} & _other_appliers(cluster, obj))
        if rivals:
            fields = ", ".join(sorted({c.field for c in exc.conflicts}))
            raise ApplyRefused(
                Reason.FIELD_CONFLICT,
                f"{', '.join(rivals)} also applies {fields} of {where}; Gantry will not "
                "overwrite another declarative owner. Remove those fields from one of them.",
            ) from None
        result = cluster.apply(obj, force=True)
        drifted = [c for c in exc.conflicts if c.field not in taking_back]
        if drifted:
            fields = ", ".join(sorted({c.field for c in drifted}))
            managers = ", ".join(sorted({c.manager for c in drifted}))
            notes.append(f"Restored {fields} of {where}, changed outside Gantry by {managers}.")
        return result
    if created and applied_before:
        notes.append(f"Re-created {where}, deleted outside Gantry.")
    return result


def _other_appliers(cluster: kube.Cluster, obj: dict[str, Any]) -> set[str]:
    """Field managers other than Gantry's that hold fields of `obj` by applying them."""
    meta = obj["metadata"]
    live = cluster.get(obj["kind"], meta["name"], meta.get("namespace", "")) or {}
    return {
        entry.get("manager", "")
        for entry in live.get("metadata", {}).get("managedFields") or []
        if entry.get("operation") == "Apply"
        and not entry.get("manager", "").startswith(FIELD_MANAGER)
    }


def hand_replicas_to_hpa(
    cluster: kube.Cluster, spec: manifests.DeploymentSpec, live: dict[str, Any] | None
) -> None:
    """Give spec.replicas a co-owner and a value in the HPA's range, as the HPA takes over.

    A field that its only applier stops applying is removed, and spec.replicas would
    fall back to 1 before the HPA scales it up again. Applying the value once under a
    second manager keeps it (the handover the server-side apply docs describe). The
    value is clamped into [min, max]: an HPA leaves a target at 0 replicas alone, so a
    deployment started again after a stop would otherwise never come back.
    """
    if live is None or spec.min_replicas is None or spec.max_replicas is None:
        return
    current = live["spec"].get("replicas", 1)
    bounded = min(max(current, spec.min_replicas), spec.max_replicas)
    owned = any(
        entry.get("manager") == FIELD_MANAGER
        and entry.get("operation") == "Apply"
        and "f:replicas" in ((entry.get("fieldsV1") or {}).get("f:spec") or {})
        for entry in live["metadata"].get("managedFields") or []
    )
    if owned or bounded != current:
        cluster.apply(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": spec.name, "namespace": spec.namespace},
                "spec": {"replicas": bounded},
            },
            field_manager=HANDOFF_MANAGER,
            # Taking a value that differs from Gantry's own: Gantry hands over, nobody else.
            force=True,
        )


def apply_all(
    cluster: kube.Cluster,
    record: Deployment,
    spec: manifests.DeploymentSpec,
    notes: list[str],
) -> tuple[dict[str, dict[str, Any] | None], list[str]]:
    """Apply what the spec wants and delete what it no longer does.

    Returns the live Deployments by track (from the apply responses) and the keys of
    the wanted objects. Raises kube.NotFound when the namespace is gone.
    """
    wanted = manifests.deployment_objects(spec)
    wanted_keys = [manifests.ObjectRef.of(obj).key for obj in wanted]
    previous = set(record.applied_objects or [])
    hpa_key = f"{HPA}/{spec.name}"
    handing_over = spec.autoscaled and hpa_key not in previous
    if handing_over:
        hand_replicas_to_hpa(cluster, spec, cluster.get("Deployment", spec.name, spec.namespace))
    _claim(record, previous | set(wanted_keys))
    unwanted = [key for key in sorted(previous) if key not in wanted_keys]
    taking_back: frozenset[str] = frozenset()
    if hpa_key in unwanted:
        # The HPA goes first, or it may scale once more after Gantry sets replicas.
        cluster.delete(HPA, spec.name, spec.namespace)
        taking_back = frozenset({".spec.replicas"})
    # Applied with this generation already: one created now was deleted behind Gantry's back.
    done = previous if record.observed_generation == spec.generation else set()
    live: dict[str, dict[str, Any] | None] = {}
    for index, obj in enumerate(wanted):
        before = wanted_keys[index] in done
        result = apply_object(cluster, obj, notes, taking_back=taking_back, applied_before=before)
        if obj["kind"] == "Deployment":
            track = obj["metadata"]["labels"][manifests.TRACK]
            if handing_over and track == manifests.STABLE:
                # A Deployment just created for an HPA starts at 1: lift it to the minimum.
                hand_replicas_to_hpa(cluster, spec, result)
            live[track] = result
        if index == 0:
            crashpoint("applied-one")
    crashpoint("applied")
    for key in unwanted:
        kind, name = key.split("/", 1)
        if key != hpa_key:
            cluster.delete(kind, name, spec.namespace)
    crashpoint("pruned")
    return live, wanted_keys


def _claim(record: Deployment, keys: set[str]) -> None:
    """Record the objects before creating them: whatever a crash leaves is then known."""
    claimed = sorted(keys)
    if claimed != sorted(record.applied_objects or []):
        Deployment.objects.filter(pk=record.pk).update(applied_objects=claimed)
    crashpoint("claimed")
