"""Celery tasks of the reconciler. They take primary keys and reload from the database.

`reconcile` is idempotent (level-triggered, under a per-deployment lock), so it is
acknowledged late and re-queued when its worker dies: a message is lost only if
Redis loses it, and then the next `resync` finds the record anyway. The reconciler
changes no spec; what it decides (an automatic rollback) is carried out here,
through the services, like any other change.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from apps.clusters import kube
from apps.core.lib.backoff import backoff_delay
from apps.deployments import queue, reconciler, services
from apps.deployments import resync as resyncer

log = logging.getLogger(__name__)


def reconcile_once(deployment_id: int, *, observe_only: bool = False) -> reconciler.Outcome:
    """One reconcile, and what it decided carried out: as a worker runs it, minus retries."""
    outcome = reconciler.reconcile(deployment_id, observe_only=observe_only)
    if outcome.rollback is not None:
        services.auto_rollback(
            deployment_id,
            revision=outcome.rollback.revision,
            generation=outcome.rollback.generation,
            why=outcome.rollback.why,
        )
    return outcome


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, name=queue.RECONCILE
)
def reconcile(self, deployment_id: int, observe_only: bool = False) -> None:
    """Converge one deployment, retrying transient API errors with capped backoff."""
    try:
        outcome = reconcile_once(deployment_id, observe_only=observe_only)
    except kube.KubeError as exc:  # only transient ones get here; the record says so
        queue.done(deployment_id)
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
            args=(deployment_id,),
            kwargs={"observe_only": False},
            countdown=delay,
            # Celery's own default (3) would end the retries before the setting does.
            max_retries=settings.GANTRY_RECONCILE_MAX_RETRIES,
        ) from None
    queue.done(deployment_id)
    if outcome.follow_up_s is not None:
        queue.enqueue_reconcile(deployment_id, observe_only=True, countdown=outcome.follow_up_s)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    name=queue.RECONCILE_NAMESPACE,
)
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
            raise self.retry(
                countdown=delay, max_retries=settings.GANTRY_RECONCILE_MAX_RETRIES
            ) from None
        log.warning("namespace of team %s in environment %s: %s", team_id, environment_id, exc)


@shared_task(ignore_result=True, name=queue.RESYNC)
def resync() -> None:
    """The periodic sweep (Celery beat, every GANTRY_RESYNC_INTERVAL_S seconds)."""
    for plan in resyncer.resync_all():
        enqueue_plan(plan)


def enqueue_plan(plan: resyncer.Plan) -> None:
    """Queue what one cluster's sweep found to do."""
    for deployment_id in sorted(plan.reconcile):
        reason = plan.reasons.get(deployment_id, "")
        log.info("resync %s: reconcile %s: %s", plan.cluster, deployment_id, reason)
        queue.enqueue_reconcile(deployment_id)
    for deployment_id in sorted(plan.observe - plan.reconcile):
        queue.enqueue_reconcile(deployment_id, observe_only=True)
    for environment_id, team_id in sorted(plan.namespaces):
        queue.enqueue_namespace(environment_id, team_id)
    for line in plan.deleted:
        log.info("resync %s: deleted %s", plan.cluster, line)
