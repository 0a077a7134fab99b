"""Queueing the reconciler's tasks by name.

The services that change records queue a reconcile after commit; they name the
task instead of importing it, so the tasks (which import the reconciler and the
services) and the services never import each other. The task names are declared
once here and routed to their queues in `controlplane/celery.py`.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

RECONCILE = "apps.deployments.tasks.reconcile"
RECONCILE_NAMESPACE = "apps.deployments.tasks.reconcile_namespace"
RESYNC = "apps.deployments.tasks.resync"
# Publishing must not hang a request when Redis is down: the resync catches up.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# A reconcile the watcher queued is marked in the cache until a worker has run it, so a
# burst of changes never queues more than one message per deployment, nor one that
# would only find the lock held. The mark expires in case its message is lost; the
# watcher looks again after each reconcile it queued and queues another if needed.
PENDING_TTL_S = 60
FULL, OBSERVE = "full", "observe"


def enqueue_reconcile(
    deployment_id: int, *, observe_only: bool = False, countdown: float | None = None
) -> None:
    """Queue a reconcile; if the broker is down, log it and leave it to the next resync."""
    if countdown is not None and current_app.conf.task_always_eager:
        # Eager mode runs a task on the spot and cannot wait: a chain of status checks
        # would recurse until the rollout settles. Resync looks at it later instead.
        return
    kwargs = {"observe_only": True} if observe_only else {}
    try:
        current_app.signature(RECONCILE).apply_async(
            (deployment_id,), kwargs, countdown=countdown, retry=True, retry_policy=PUBLISH_RETRY
        )
    except OperationalError as exc:
        log.warning("could not queue a reconcile of deployment %s: %s", deployment_id, exc)


def enqueue_once(deployment_id: int, *, observe_only: bool = False) -> bool:
    """Queue a reconcile unless one is queued already (an observe-only one is upgraded).

    Returns whether a message was published.
    """
    key = _pending_key(deployment_id)
    mode = OBSERVE if observe_only else FULL
    if not cache.add(key, mode, timeout=PENDING_TTL_S):
        if observe_only or cache.get(key) == FULL:
            return False
        cache.set(key, FULL, timeout=PENDING_TTL_S)
    enqueue_reconcile(deployment_id, observe_only=observe_only)
    return True


def done(deployment_id: int) -> None:
    """A reconcile of the deployment ran: later changes need a new message."""
    cache.delete(_pending_key(deployment_id))


def _pending_key(deployment_id: int) -> str:
    return f"reconcile-pending:{deployment_id}"


def enqueue_namespace(environment_id: int, team_id: int) -> None:
    """Queue a re-apply of one team's namespace objects in one environment."""
    try:
        current_app.signature(RECONCILE_NAMESPACE).apply_async(
            (environment_id, team_id), retry=True, retry_policy=PUBLISH_RETRY
        )
    except OperationalError as exc:
        log.warning("could not queue a namespace reconcile: %s", exc)


def reconcile_after_commit(deployment_id: int) -> None:
    """Queue the reconcile once the change is committed (never for a rolled-back one)."""
    transaction.on_commit(lambda: enqueue_reconcile(deployment_id))
