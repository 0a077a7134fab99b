"""Reconciliation: make the cluster match one deployment record, and tell the record
what the cluster says.

`reconcile(deployment_id)` runs under a per-deployment lock: load the record, build
its objects (manifests.py), server-side apply them, delete what it no longer wants,
observe the Deployments and pods, and write status back. It is level-triggered:
running it twice, late, or after a crash at any step converges on the same objects.
Kubernetes is never called inside a database transaction; records are written
with guarded `update()`s that neither bump `generation` nor make Revisions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.clusters import kube
from apps.clusters.choices import Connection
from apps.clusters.models import Cluster, Environment
from apps.core import audit
from apps.core.lib import locks
from apps.core.lib.crashpoints import crashpoint
from apps.deployments import conditions, manifests, services
from apps.deployments.choices import ConditionType, EventSource, State
from apps.deployments.conditions import Status
from apps.deployments.models import Deployment, Event, Revision
from apps.deployments.observe import Observation, needs_pods, observe
from apps.quotas.models import Quota, QuotaLimit
from apps.registry.models import ModelVersion

log = logging.getLogger(__name__)

LOCK_DEPLOYMENT = 1
LOCK_RESYNC = 2
RELATED = ("team", "environment__cluster", "model_version__model", "canary_version")
# Kubernetes' own reasons for a refused write, kept as the Synced reason.
PERMANENT_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    410: "Gone",
    413: "TooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
}
FIELD_CONFLICT = "FieldConflict"
UNREACHABLE = "ClusterUnreachable"
RETRYING = "ApplyRetrying"
# Used only to hand spec.replicas over to an HPA (see _hand_replicas_to_hpa).
HANDOFF_MANAGER = "gantry-handoff"
# Field managers that are Gantry itself (the applier and the handoff above).
MINE = "gantry"
# Status checks while a rollout runs: often at first (pods start in seconds), then
# less often, never slower than this; resync covers what happens after.
FOLLOW_UP_MIN_S = 0.5
FOLLOW_UP_MAX_S = 10.0
DELETE_FOLLOW_UP_S = 1.0


@dataclass
class Outcome:
    """What one run did; the task turns it into follow-up messages."""

    generation: int | None = None
    follow_up_s: float | None = None
    busy: bool = False
    deleted: bool = False


class ApplyRefused(Exception):
    """The cluster refused the spec for good; the record says why and nothing retries it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# --- records to plain data ---------------------------------------------------------------


def cluster_ref(cluster: Cluster) -> kube.ClusterRef:
    return kube.ClusterRef(
        name=cluster.name,
        in_cluster=cluster.connection == Connection.IN_CLUSTER,
        kubeconfig_path=cluster.kubeconfig_path,
        context=cluster.kubeconfig_context,
    )


def version_spec(version: ModelVersion) -> manifests.VersionSpec:
    return manifests.VersionSpec(
        version=version.version,
        runtime=version.runtime,
        artifact_uri=version.artifact_uri,
        image=version.effective_image,
        port=version.effective_port,
        health_path=version.effective_health_path,
    )


def spec_of(record: Deployment) -> manifests.DeploymentSpec:
    """The one place a deployment record becomes plain data for manifests."""
    return manifests.DeploymentSpec(
        id=record.pk,
        name=record.name,
        namespace=record.namespace,
        model=record.model_version.model.name,
        team=record.team.name,
        environment=record.environment.name,
        installation=settings.GANTRY_INSTALLATION,
        generation=record.generation,
        state=record.state,
        stable=version_spec(record.model_version),
        canary=version_spec(record.canary_version) if record.canary_version_id else None,
        canary_weight=record.canary_weight,
        replicas=record.replicas,
        min_replicas=record.min_replicas,
        max_replicas=record.max_replicas,
        autoscaling_metric=record.autoscaling_metric,
        autoscaling_metric_name=record.autoscaling_metric_name,
        autoscaling_target=record.autoscaling_target,
        cpu=record.cpu,
        memory=record.memory,
        gpu_count=record.gpu_count,
        gpu_model=record.gpu_model,
        mig_profile=record.mig_profile,
        progress_deadline_seconds=settings.GANTRY_PROGRESS_DEADLINE_S,
    )


def quota_spec(quota: Quota | None) -> manifests.QuotaSpec | None:
    if quota is None:
        return None
    mig = tuple(
        sorted(
            (limit.resource, limit.limit)
            for limit in quota.limits.all()
            if limit.kind == QuotaLimit.Kind.MIG_PROFILE
        )
    )
    return manifests.QuotaSpec(
        gpus=quota.gpus_total, cpu=quota.cpu, memory=quota.memory, pods=quota.replicas, mig=mig
    )


def namespace_spec(
    environment: Environment, team_name: str, quota: Quota | None
) -> manifests.NamespaceSpec:
    return manifests.NamespaceSpec(
        name=environment.namespace_for(team_name),
        team=team_name,
        environment=environment.name,
        installation=settings.GANTRY_INSTALLATION,
        quota=quota_spec(quota),
    )


def team_quota(team_id: int) -> Quota | None:
    return Quota.objects.filter(team_id=team_id).prefetch_related("limits").first()


def target_of(record: Deployment) -> str:
    return f"deployment/{record.environment.name}/{record.name}"


# --- namespaces ----------------------------------------------------------------------------

# Namespaces this process has applied. A reconcile applies its namespace's objects
# only the first time, so it costs no extra requests or queries after that; later
# changes (a team quota edited) reach the cluster through resync, which compares the
# namespace objects with the records and re-applies them when they differ.
_namespaces_applied: set[tuple[str, str, str]] = set()


def ensure_namespace(
    cluster: kube.Cluster,
    name: str,
    spec: Callable[[], manifests.NamespaceSpec],
    *,
    refresh: bool = False,
) -> None:
    """Apply the namespace, its ResourceQuota, LimitRange and ServiceAccount when needed.

    `spec` is called only when they are applied, so a cached namespace costs no query.
    """
    key = (cluster.ref.name, cluster.server, name)
    if not refresh and key in _namespaces_applied:
        return
    objects = manifests.namespace_objects(spec())
    for obj in objects:
        _apply(cluster, obj, notes=[])
    if not any(obj["kind"] == "ResourceQuota" for obj in objects):
        # The team's quota was removed: so goes its mirror.
        cluster.delete("ResourceQuota", manifests.RESOURCE_QUOTA, name)
    _namespaces_applied.add(key)


def forget_namespace(cluster: kube.Cluster, name: str) -> None:
    _namespaces_applied.discard((cluster.ref.name, cluster.server, name))


def reconcile_namespace(environment_id: int, team_id: int) -> None:
    """Re-apply one team's namespace objects in one environment (resync found drift)."""
    environment = Environment.objects.select_related("cluster").filter(pk=environment_id).first()
    team_name = (
        Deployment.objects.filter(team_id=team_id).values_list("team__name", flat=True).first()
    )
    if environment is None or team_name is None or not environment.cluster.is_active:
        return
    cluster = kube.connect(cluster_ref(environment.cluster))
    ensure_namespace(
        cluster,
        environment.namespace_for(team_name),
        lambda: namespace_spec(environment, team_name, team_quota(team_id)),
        refresh=True,
    )


# --- applying ------------------------------------------------------------------------------


def _apply(
    cluster: kube.Cluster,
    obj: dict[str, Any],
    notes: list[str],
    *,
    taking_back: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Apply without force; take back only fields that imperative edits took from Gantry.

    A field that `kubectl edit/scale/set` or a PATCH changed moved to that client's
    field manager with an Update operation: that is drift from the record, and
    Gantry restores it (saying so in `notes`). A field another *applier* (Argo CD,
    Flux, a second Gantry) holds is a real disagreement between two declarative
    owners; forcing would make them fight, so it becomes a FieldConflict condition.
    `taking_back` names fields Gantry lent out on purpose (spec.replicas, to an HPA
    now gone): taking those back is no drift worth a note.
    """
    try:
        return cluster.apply(obj)
    except kube.FieldConflict as exc:
        meta = obj["metadata"]
        live = cluster.get(obj["kind"], meta["name"], meta.get("namespace", "")) or {}
        appliers = {
            entry.get("manager", "")
            for entry in live.get("metadata", {}).get("managedFields") or []
            if entry.get("operation") == "Apply" and not entry.get("manager", "").startswith(MINE)
        }
        rivals = sorted({c.manager for c in exc.conflicts} & appliers)
        where = f"{obj['kind']} {meta['name']}"
        if rivals:
            fields = ", ".join(sorted({c.field for c in exc.conflicts}))
            raise ApplyRefused(
                FIELD_CONFLICT,
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


def _hand_replicas_to_hpa(
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
        entry.get("manager") == kube.FIELD_MANAGER
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


def _apply_all(
    cluster: kube.Cluster,
    record: Deployment,
    spec: manifests.DeploymentSpec,
    notes: list[str],
) -> tuple[dict[str, dict[str, Any] | None], list[str]]:
    """Apply what the spec wants and delete what it no longer does.

    Returns the live Deployments by track (from the apply responses) and the keys of
    the wanted objects.
    """

    def namespace() -> manifests.NamespaceSpec:
        return namespace_spec(record.environment, record.team.name, team_quota(record.team_id))

    ensure_namespace(cluster, spec.namespace, namespace)
    wanted = manifests.deployment_objects(spec)
    wanted_keys = [manifests.ObjectRef.of(obj).key for obj in wanted]
    previous = set(record.applied_objects or [])
    hpa_key = f"HorizontalPodAutoscaler/{spec.name}"
    handing_over = spec.autoscaled and hpa_key not in previous
    if handing_over:
        _hand_replicas_to_hpa(cluster, spec, cluster.get("Deployment", spec.name, spec.namespace))
    # Claim before creating: whatever a crash leaves behind is then known for cleanup.
    claimed = sorted(previous | set(wanted_keys))
    if claimed != sorted(previous):
        Deployment.objects.filter(pk=record.pk).update(applied_objects=claimed)
    crashpoint("claimed")
    unwanted = [key for key in sorted(previous) if key not in wanted_keys]
    taking_back: frozenset[str] = frozenset()
    if hpa_key in unwanted:
        # The HPA goes first, or it may scale once more after Gantry sets replicas.
        cluster.delete("HorizontalPodAutoscaler", spec.name, spec.namespace)
        taking_back = frozenset({".spec.replicas"})
    live: dict[str, dict[str, Any] | None] = {}
    for index, obj in enumerate(wanted):
        try:
            result = _apply(cluster, obj, notes, taking_back=taking_back)
        except kube.NotFound:
            # The namespace went away behind this process's back: make it again, once.
            forget_namespace(cluster, spec.namespace)
            ensure_namespace(cluster, spec.namespace, namespace)
            result = _apply(cluster, obj, notes, taking_back=taking_back)
        if obj["kind"] == "Deployment":
            track = obj["metadata"]["labels"][manifests.TRACK]
            if handing_over and track == manifests.STABLE:
                # A Deployment just created for an HPA starts at 1: lift it to the minimum.
                _hand_replicas_to_hpa(cluster, spec, result)
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


def _read_live(cluster: kube.Cluster, spec: manifests.DeploymentSpec) -> dict[str, Any]:
    live: dict[str, Any] = {manifests.STABLE: cluster.get("Deployment", spec.name, spec.namespace)}
    if spec.has_canary:
        live[manifests.CANARY] = cluster.get("Deployment", spec.canary_name, spec.namespace)
    return live


def _observe(
    cluster: kube.Cluster, spec: manifests.DeploymentSpec, live: dict[str, Any]
) -> Observation:
    """Deployment status first; pods and events only when the counts say something is off."""
    obs = observe(spec, live)
    if spec.state != State.RUNNING or not needs_pods(obs.tracks):
        return obs
    if not all(track.current for track in obs.tracks):
        # The Deployment controller has not acted on this spec yet (just applied), so
        # no pod can say anything about it: the follow-up looks.
        return obs
    pods = cluster.list(
        "Pod",
        namespace=spec.namespace,
        labels={
            manifests.DEPLOYMENT_ID: str(spec.id),
            manifests.INSTALLATION: spec.installation,
        },
    )
    obs = observe(spec, live, pods)
    if obs.problem and obs.problem.reason == "NotReady" and obs.problem.pod:
        warning = _latest_warning(cluster, spec.namespace, obs.problem.pod)
        if warning:
            obs = observe(spec, live, pods, {obs.problem.pod: warning})
    return obs


def _latest_warning(cluster: kube.Cluster, namespace: str, pod: str) -> str:
    """The newest Warning event about a pod, e.g. 'Readiness probe failed: ...'."""
    events = cluster.list(
        "Event", namespace=namespace, fields={"involvedObject.name": pod, "type": "Warning"}
    )
    if not events:
        return ""

    def when(event: dict[str, Any]) -> str:
        return event.get("lastTimestamp") or event.get("eventTime") or ""

    return max(events, key=when).get("message", "")


# --- writing status ------------------------------------------------------------------------


def _write_status(
    record: Deployment,
    spec: manifests.DeploymentSpec,
    updates: dict[str, Status],
    *,
    obs: Observation | None = None,
    applied_keys: list[str] | None = None,
    error: str = "",
    notes: list[str] | None = None,
) -> bool:
    """Write status and one audit Event per transition; False when a newer run got there."""
    now = timezone.now()
    merged, transitions = conditions.merge(
        record.conditions, updates, generation=spec.generation, now=now
    )
    fields: dict[str, Any] = {"conditions": merged, "last_error": error, "last_synced_at": now}
    if obs is not None:
        fields.update(
            ready_replicas=obs.ready,
            updated_replicas=obs.updated,
            available_replicas=obs.available,
            status_digest=obs.digest,
        )
        if obs.complete and spec.is_running and record.observed_generation == spec.generation:
            fields["last_available_revision"] = spec.generation
    if applied_keys is not None:
        fields.update(observed_generation=spec.generation, applied_objects=applied_keys)
        if obs is not None and obs.complete and spec.is_running:
            fields["last_available_revision"] = spec.generation
    if (
        applied_keys is None
        and not notes
        and all(
            getattr(record, name) == value
            for name, value in fields.items()
            if name != "last_synced_at"
        )
    ):
        return True  # a status check that found nothing new writes nothing
    target = target_of(record)
    events = [
        Event(
            team_id=record.team_id,
            deployment_id=record.pk,
            source=EventSource.CLUSTER,
            verb="condition",
            target=target,
            message=conditions.describe(t),
        )
        for t in transitions
    ]
    events += [
        Event(
            team_id=record.team_id,
            deployment_id=record.pk,
            source=EventSource.GANTRY,
            verb="correct-drift",
            target=target,
            message=note,
        )
        for note in notes or []
    ]
    with transaction.atomic():
        # The guard: a run that applied an older generation never overwrites a newer one.
        written = Deployment.objects.filter(
            pk=record.pk, observed_generation__lte=spec.generation
        ).update(**fields)
        if written and events:
            Event.objects.bulk_create(events)
    if written:
        for name, value in fields.items():
            setattr(record, name, value)
    return bool(written)


def mark_unreachable(record: Deployment, error: kube.KubeError) -> None:
    """The cluster did not answer: say so, keep everything else as last seen."""
    available = conditions.get(record.conditions, ConditionType.AVAILABLE)
    last_seen = f" Last seen: {available['message']}" if available else ""
    _write_status(
        record,
        spec_of(record),
        {
            ConditionType.SYNCED: Status(
                "False", UNREACHABLE, f"{error.message} Gantry keeps trying; nothing is lost."
            ),
            ConditionType.AVAILABLE: Status(
                "Unknown", UNREACHABLE, f"Unknown while the cluster cannot be reached.{last_seen}"
            ),
        },
        error=error.message,
    )


def _mark_retrying(record: Deployment, error: kube.KubeError) -> None:
    _write_status(
        record,
        spec_of(record),
        {
            ConditionType.SYNCED: Status(
                "False", RETRYING, f"The API server answered {error.status}: {error.message}"
            )
        },
        error=error.message,
    )


def _mark_refused(
    record: Deployment, spec: manifests.DeploymentSpec, reason: str, message: str
) -> None:
    _write_status(
        record,
        spec,
        {
            ConditionType.SYNCED: Status("False", reason, message),
            ConditionType.DEGRADED: Status("True", reason, message),
        },
        error=message,
    )


def is_refused_for_good(record: Deployment) -> bool:
    """The current generation was refused by the cluster: retrying cannot help."""
    synced = conditions.get(record.conditions, ConditionType.SYNCED)
    return bool(
        synced
        and synced.get("status") == "False"
        and synced.get("reason") in {*PERMANENT_REASONS.values(), FIELD_CONFLICT}
        and synced.get("observed_generation") == record.generation
    )


# --- the reconcile -------------------------------------------------------------------------


def reconcile(deployment_id: int, *, observe_only: bool = False) -> Outcome:
    """Converge one deployment; a run that finds another one running does nothing.

    The holder re-reads the generation after releasing the lock and goes round again
    when it moved, so a change whose message arrived while it ran is never lost.
    """
    while True:
        with locks.try_lock(LOCK_DEPLOYMENT, deployment_id) as held:
            if not held:
                log.info("deployment %s: a reconcile is already running", deployment_id)
                return Outcome(busy=True)
            outcome = _reconcile_locked(deployment_id, observe_only)
        if outcome.generation is None or outcome.deleted:
            return outcome
        generation = (
            # order_by(): .first() would otherwise sort by the model's ordering, a join.
            Deployment.objects.filter(pk=deployment_id)
            .order_by()
            .values_list("generation", flat=True)
            .first()
        )
        if generation is None or generation <= outcome.generation:
            return outcome
        observe_only = False


def _load(deployment_id: int) -> Deployment | None:
    try:
        return Deployment.objects.select_related(*RELATED).get(pk=deployment_id)
    except Deployment.DoesNotExist:
        return None


def _reconcile_locked(deployment_id: int, observe_only: bool) -> Outcome:
    record = _load(deployment_id)
    if record is None:
        return Outcome()
    crashpoint("loaded")
    if not record.environment.cluster.is_active:
        return Outcome(generation=record.generation)
    spec = spec_of(record)
    try:
        cluster = kube.connect(cluster_ref(record.environment.cluster))
        if record.state == State.DELETING:
            return _delete(cluster, record, spec)
        return _converge(cluster, record, spec, observe_only)
    except ApplyRefused as refused:
        _mark_refused(record, spec, refused.reason, refused.message)
        return Outcome(generation=record.generation)
    except kube.ClusterUnreachable as exc:
        mark_unreachable(record, exc)
        raise
    except kube.KubeError as exc:
        if exc.transient:
            _mark_retrying(record, exc)
            raise
        reason = PERMANENT_REASONS.get(exc.status or 0, "ApplyFailed")
        _mark_refused(record, spec, reason, exc.message)
        return Outcome(generation=record.generation)


def _converge(
    cluster: kube.Cluster, record: Deployment, spec: manifests.DeploymentSpec, observe_only: bool
) -> Outcome:
    notes: list[str] = []
    applied_keys = None
    live: dict[str, Any] | None = None
    synced_ok = not conditions.get(record.conditions, ConditionType.SYNCED) or (
        conditions.get(record.conditions, ConditionType.SYNCED)["status"] == "True"
    )
    if observe_only and record.observed_generation == record.generation and synced_ok:
        live = _read_live(cluster, spec)
        if any(obj is None for obj in live.values()):
            live = None  # something is missing: apply after all
    if live is None:
        live, applied_keys = _apply_all(cluster, record, spec, notes)
    obs = _observe(cluster, spec, live)
    crashpoint("observed")
    updates: dict[str, Status] = {}
    if applied_keys is not None:
        updates[ConditionType.SYNCED] = Status(
            "True",
            "Applied",
            f"Generation {spec.generation} is applied to cluster {cluster.ref.name}.",
        )
    updates.update(obs.conditions)
    _write_status(record, spec, updates, obs=obs, applied_keys=applied_keys, notes=notes)
    crashpoint("written")
    if obs.deadline_exceeded:
        _roll_back_if_wanted(record, spec, obs)
    return Outcome(generation=record.generation, follow_up_s=_follow_up(record, spec, obs))


def _follow_up(
    record: Deployment, spec: manifests.DeploymentSpec, obs: Observation
) -> float | None:
    if obs.settled:
        return None
    progressing = conditions.get(record.conditions, ConditionType.PROGRESSING) or {}
    started = parse_datetime(progressing.get("last_transition_time") or "") or timezone.now()
    elapsed = (timezone.now() - started).total_seconds()
    # Half the time the rollout has run so far: quick looks while pods usually become
    # ready, then fewer, so a slow rollout costs a handful of checks, not dozens.
    return min(FOLLOW_UP_MAX_S, max(FOLLOW_UP_MIN_S, elapsed / 2))


def _same_spec(a: dict[str, Any], b: dict[str, Any]) -> bool:
    ignore = {"state"}
    return {k: v for k, v in a.items() if k not in ignore} == {
        k: v for k, v in b.items() if k not in ignore
    }


def _roll_back_if_wanted(
    record: Deployment, spec: manifests.DeploymentSpec, obs: Observation
) -> None:
    """A rollout past its deadline goes back to the last revision that became Available."""
    target = record.last_available_revision
    if (
        not record.auto_rollback
        or record.state != State.RUNNING
        or record.observed_generation != record.generation
        or not target
        or target >= record.generation
    ):
        return
    revision = Revision.objects.filter(deployment=record, number=target).first()
    if revision is None or _same_spec(revision.spec, record.spec()):
        return
    degraded = obs.conditions.get(ConditionType.DEGRADED)
    why = degraded.message if degraded else "the rollout made no progress"
    try:
        services.rollback(record, target, actor=None)
    except ValidationError as exc:
        audit.record(
            actor=None,
            verb="auto-rollback-refused",
            target=target_of(record),
            message=f"Could not roll back to revision {target}: {'; '.join(exc.messages)}",
            team=record.team,
            deployment=record,
        )
        return
    audit.record(
        actor=None,
        verb="auto-rollback",
        target=target_of(record),
        message=f"Rolled back generation {record.generation} to revision {target}, the last "
        f"that became Available. Why: {why}",
        team=record.team,
        deployment=record,
    )


# --- deletion ------------------------------------------------------------------------------

DELETE_KINDS = ("HorizontalPodAutoscaler", "PodDisruptionBudget", "Deployment", "Service")


def _delete(cluster: kube.Cluster, record: Deployment, spec: manifests.DeploymentSpec) -> Outcome:
    """Remove every owned object; the record goes only once the cluster holds none.

    Foreground propagation keeps each Deployment visible until its ReplicaSets and
    pods are gone, so "nothing listed" really means nothing left. A worker killed
    half-way leaves the record in state deleting, and the next run carries on.
    """
    labels = {
        manifests.DEPLOYMENT_ID: str(spec.id),
        manifests.INSTALLATION: spec.installation,
    }
    remaining = []
    for kind in DELETE_KINDS:
        for obj in cluster.list(kind, namespace=spec.namespace, labels=labels):
            name = obj["metadata"]["name"]
            if not obj["metadata"].get("deletionTimestamp"):
                cluster.delete(kind, name, spec.namespace, propagation="Foreground")
            remaining.append(f"{kind}/{name}")
    crashpoint("delete-requested")
    remaining += [
        f"Pod/{pod['metadata']['name']}"
        for pod in cluster.list("Pod", namespace=spec.namespace, labels=labels)
    ]
    if remaining:
        shown = ", ".join(remaining[:5]) + (" …" if len(remaining) > 5 else "")
        _write_status(
            record,
            spec,
            {
                ConditionType.SYNCED: Status(
                    "False", "Deleting", f"Waiting for {len(remaining)} objects to go: {shown}."
                )
            },
        )
        return Outcome(generation=record.generation, follow_up_s=DELETE_FOLLOW_UP_S)
    with transaction.atomic():
        audit.record(
            actor=None,
            verb="delete",
            target=target_of(record),
            message=f"Deleted: no objects are left in cluster {cluster.ref.name}.",
            team=record.team,
        )
        Deployment.objects.filter(pk=record.pk, state=State.DELETING).delete()
    return Outcome(generation=record.generation, deleted=True)
