"""Celery tasks of the reconciler. They take primary keys and reload from the database.

`reconcile` is idempotent (level-triggered, under a per-deployment lock), so it is
acknowledged late and re-queued when its worker dies: a message is lost only if
Redis loses it, and then the next `resync` finds the record anyway.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from kombu.exceptions import OperationalError

from apps.clusters import kube
from apps.core.lib.backoff import backoff_delay
from apps.deployments import reconcile as reconciler
from apps.deployments import resync as resyncer

log = logging.getLogger(__name__)

# Publishing must not hang a request when Redis is down: the resync catches up.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def reconcile(self, deployment_id: int, observe_only: bool = False) -> None:
    """Converge one deployment, retrying transient API errors with capped backoff."""
    try:
        outcome = reconciler.reconcile(deployment_id, observe_only=observe_only)
    except kube.KubeError as exc:  # only transient ones get here; the record says so
        attempt = self.request.retries
        if attempt >= settings.GANTRY_RECONCILE_MAX_RETRIES:
            log.warning(
                "deployment %s: giving up after %s retries (%s); resync will try again",
                deployment_id,
                attempt,
                exc,
            )
            return
        delay = backoff_delay(
            attempt, cap=settings.GANTRY_RECONCILE_BACKOFF_CAP_S, retry_after=exc.retry_after
        )
        log.info("deployment %s: %s; retry %s in %.1f s", deployment_id, exc, attempt + 1, delay)
        raise self.retry(
            args=(deployment_id,), kwargs={"observe_only": False}, countdown=delay
        ) from None
    if outcome.follow_up_s is not None:
        enqueue_reconcile(deployment_id, observe_only=True, countdown=outcome.follow_up_s)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def reconcile_namespace(self, environment_id: int, team_id: int) -> None:
    """Re-apply one team's namespace objects in one environment."""
    try:
        reconciler.reconcile_namespace(environment_id, team_id)
    except kube.KubeError as exc:
        if exc.transient and self.request.retries < settings.GANTRY_RECONCILE_MAX_RETRIES:
            delay = backoff_delay(
                self.request.retries,
                cap=settings.GANTRY_RECONCILE_BACKOFF_CAP_S,
                retry_after=exc.retry_after,
            )
            raise self.retry(countdown=delay) from None
        log.warning("namespace of team %s in environment %s: %s", team_id, environment_id, exc)


@shared_task(ignore_result=True)
def resync() -> None:
    """The periodic sweep (Celery beat, every GANTRY_RESYNC_INTERVAL_S seconds)."""
    for plan in resyncer.resync_all():
        enqueue_plan(plan)


def enqueue_plan(plan: resyncer.Plan) -> None:
    """Queue what one cluster's sweep found to do."""
    for deployment_id in sorted(plan.reconcile):
        reason = plan.reasons.get(deployment_id, "")
        log.info("resync %s: reconcile %s: %s", plan.cluster, deployment_id, reason)
        enqueue_reconcile(deployment_id)
    for deployment_id in sorted(plan.observe - plan.reconcile):
        enqueue_reconcile(deployment_id, observe_only=True)
    for environment_id, team_id in sorted(plan.namespaces):
        try:
            reconcile_namespace.apply_async(
                (environment_id, team_id), retry=True, retry_policy=PUBLISH_RETRY
            )
        except OperationalError as exc:
            log.warning("could not queue a namespace reconcile: %s", exc)
    for line in plan.deleted:
        log.info("resync %s: deleted %s", plan.cluster, line)


def enqueue_reconcile(
    deployment_id: int, *, observe_only: bool = False, countdown: float | None = None
) -> None:
    """Queue a reconcile; if the broker is down, log it and leave it to the next resync."""
    if countdown is not None and reconcile.app.conf.task_always_eager:
        # Eager mode runs a task on the spot and cannot wait: a chain of status checks
        # would recurse until the rollout settles. Resync looks at it later instead.
        return
    kwargs = {"observe_only": True} if observe_only else {}
    try:
        reconcile.apply_async(
            (deployment_id,),
            kwargs,
            countdown=countdown,
            retry=True,
            retry_policy=PUBLISH_RETRY,
        )
    except OperationalError as exc:
        log.warning("could not queue a reconcile of deployment %s: %s", deployment_id, exc)
