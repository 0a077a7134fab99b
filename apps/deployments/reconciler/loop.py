"""The reconcile of one deployment, top to bottom.

`reconcile(deployment_id)` runs under a per-deployment lock: load the record, make
sure its namespace exists, server-side apply its objects and prune the unwanted
(apply.py), observe the Deployments and, when something is off, pods and events
(live.py), and write status back (status.py). A record being deleted has its
objects removed, then goes itself (delete.py). It is level-triggered: running it
twice, late, or after a crash at any step converges on the same objects. Kubernetes
is never called inside a database transaction.

It changes no spec: what it decides beyond status (an automatic rollback, a
follow-up look) comes back in its `Outcome`, and the task carries that out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.clusters import kube
from apps.core.lib import locks
from apps.core.lib.crashpoints import crashpoint
from apps.deployments import conditions, manifests
from apps.deployments.choices import ConditionStatus, ConditionType, Reason, State
from apps.deployments.conditions import Status
from apps.deployments.constants import LOCK_DEPLOYMENT
from apps.deployments.models import Deployment
from apps.deployments.observe import Observation
from apps.deployments.reconciler.apply import ApplyRefused, apply_all
from apps.deployments.reconciler.delete import delete_record, remaining_objects, report_waiting
from apps.deployments.reconciler.exposed import gateway_api_served, pending
from apps.deployments.reconciler.exposed import status as exposure_status
from apps.deployments.reconciler.live import observe_live, read_deployments
from apps.deployments.reconciler.namespaces import ensure_deployment_namespace, forget_namespace
from apps.deployments.reconciler.rollback import Rollback, rollback_wanted
from apps.deployments.reconciler.specs import cluster_ref, load, spec_of
from apps.deployments.reconciler.status import (
    is_synced,
    mark_refused,
    mark_retrying,
    mark_unreachable,
    permanent_reason,
    write_status,
)

log = logging.getLogger(__name__)

# Status checks while a rollout runs: often at first (pods start in seconds), then
# less often, never slower than this; resync covers what happens after.
FOLLOW_UP_MIN_S = 0.5
FOLLOW_UP_MAX_S = 10.0
DELETE_FOLLOW_UP_S = 1.0


@dataclass
class Outcome:
    """What one run did and decided; the task turns it into follow-ups and actions."""

    generation: int | None = None
    follow_up_s: float | None = None
    deleted: bool = False
    rollback: Rollback | None = None


def reconcile(deployment_id: int, *, observe_only: bool = False) -> Outcome:
    """Converge one deployment; a run that finds another one running does nothing.

    The holder re-reads the generation after releasing the lock and goes round again
    when it moved, so a change whose message arrived while it ran is never lost.
    """
    while True:
        with locks.try_lock(LOCK_DEPLOYMENT, deployment_id) as held:
            if not held:
                log.info("deployment %s: a reconcile is already running", deployment_id)
                return Outcome()
            outcome = _reconcile_locked(deployment_id, observe_only)
        if outcome.generation is None or outcome.deleted or outcome.rollback:
            return outcome
        current = _generation(deployment_id)
        if current is None or current <= outcome.generation:
            return outcome
        observe_only = False


def _reconcile_locked(deployment_id: int, observe_only: bool) -> Outcome:
    record = load(deployment_id)
    if record is None:
        return Outcome()
    crashpoint("loaded")
    if not record.environment.cluster.is_active:
        return Outcome(generation=record.generation)
    spec = spec_of(record)
    try:
        cluster = kube.connect(cluster_ref(record.environment.cluster))
        spec = spec_of(record, gateway_api=gateway_api_served(cluster, record))
        if record.state == State.DELETING:
            return _delete(cluster, record, spec)
        return _converge(cluster, record, spec, observe_only)
    except ApplyRefused as refused:
        mark_refused(record, spec, refused.reason, refused.message)
    except kube.ClusterUnreachable as exc:
        mark_unreachable(record, exc)
        raise
    except kube.KubeError as exc:
        if exc.transient:
            mark_retrying(record, exc)
            raise
        mark_refused(record, spec, permanent_reason(exc), exc.message)
    return Outcome(generation=record.generation)


def _converge(
    cluster: kube.Cluster, record: Deployment, spec: manifests.DeploymentSpec, observe_only: bool
) -> Outcome:
    notes: list[str] = []
    applied_keys = None
    objects = None
    if observe_only and record.observed_generation == record.generation and is_synced(record):
        objects = read_deployments(cluster, spec)
        if any(obj is None for obj in objects.values()):
            objects = None  # something is missing: apply after all
    if objects is None:
        objects, applied_keys = _apply(cluster, record, spec, notes)
    obs = observe_live(cluster, spec, objects)
    crashpoint("observed")
    updates = dict(obs.conditions)
    if applied_keys is not None:
        message = f"Generation {spec.generation} is applied to cluster {cluster.ref.name}."
        updates[ConditionType.SYNCED] = Status(ConditionStatus.TRUE, Reason.APPLIED, message)
    if applied_keys is not None or pending(record):
        way_in = exposure_status(cluster, record, spec)
        if way_in is not None:
            updates[ConditionType.EXPOSED] = way_in
    write_status(record, spec, updates, obs=obs, applied_keys=applied_keys, notes=notes)
    crashpoint("written")
    return Outcome(
        generation=record.generation,
        follow_up_s=_follow_up(record, obs),
        rollback=rollback_wanted(record, obs),
    )


def _apply(
    cluster: kube.Cluster, record: Deployment, spec: manifests.DeploymentSpec, notes: list[str]
) -> tuple[dict, list[str]]:
    ensure_deployment_namespace(cluster, record)
    try:
        return apply_all(cluster, record, spec, notes)
    except kube.NotFound:
        # The namespace went away behind this process's back: make it again, once.
        forget_namespace(cluster, spec.namespace)
        ensure_deployment_namespace(cluster, record)
        return apply_all(cluster, record, spec, notes)


def _delete(cluster: kube.Cluster, record: Deployment, spec: manifests.DeploymentSpec) -> Outcome:
    remaining = remaining_objects(cluster, spec)
    if remaining:
        report_waiting(record, spec, remaining)
        return Outcome(generation=record.generation, follow_up_s=DELETE_FOLLOW_UP_S)
    delete_record(record, cluster.ref.name)
    return Outcome(generation=record.generation, deleted=True)


def _follow_up(record: Deployment, obs: Observation) -> float | None:
    if obs.settled:
        return None
    progressing = conditions.get(record.conditions, ConditionType.PROGRESSING) or {}
    started = parse_datetime(progressing.get("last_transition_time") or "") or timezone.now()
    elapsed = (timezone.now() - started).total_seconds()
    # Half the time the rollout has run so far: quick looks while pods usually become
    # ready, then fewer, so a slow rollout costs a handful of checks, not dozens.
    return min(FOLLOW_UP_MAX_S, max(FOLLOW_UP_MIN_S, elapsed / 2))


def _generation(deployment_id: int) -> int | None:
    # order_by(): .first() would otherwise sort by the model's ordering, a join.
    return (
        Deployment.objects.filter(pk=deployment_id)
        .order_by()
        .values_list("generation", flat=True)
        .first()
    )
