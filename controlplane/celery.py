"""The Celery application; queues and periodic schedules are declared here, once."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from kombu import Queue

from apps.deployments.queue import RECONCILE, RECONCILE_NAMESPACE, RESYNC

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlplane.settings")

app = Celery("gantry")
app.config_from_object("django.conf:settings", namespace="CELERY")

# `reconcile` carries one message per deployment change or status check; `resync`
# the periodic sweep, on its own queue so a backlog of reconciles never delays it.
# Everything else goes to Celery's default queue. Workers consume all three:
#   celery -A controlplane worker --queues reconcile,resync,celery
app.conf.task_default_queue = "celery"
app.conf.task_queues = (Queue("celery"), Queue("reconcile"), Queue("resync"))
app.conf.task_routes = {
    RECONCILE: {"queue": "reconcile"},
    RECONCILE_NAMESPACE: {"queue": "reconcile"},
    RESYNC: {"queue": "resync"},
}


@app.on_after_configure.connect
def _schedule_resync(sender: Celery, **kwargs: object) -> None:
    # Read after configuration, not at import: settings import this package.
    from django.conf import settings

    interval = float(settings.GANTRY_RESYNC_INTERVAL_S)
    # A sweep not started within one interval is stale: the next one replaces it.
    sender.add_periodic_task(interval, sender.signature(RESYNC), name="resync", expires=interval)


# Celery's Django fixup closes the database connection before and after every task,
# so each reconcile paid for a new PostgreSQL connection (a backend forked, auth): on
# a bulk of 500 that was a large share of the CPU. Tasks keep their connection as
# requests do instead: reused for CONN_MAX_AGE, health-checked before reuse, dropped
# when broken, in a failed transaction or too old (close_old_connections, below). The
# fixup then closes only every 2 x DB_REUSE_MAX tasks.
app.conf.update(CELERY_DB_REUSE_MAX=1000)


@task_prerun.connect
@task_postrun.connect
def _connections_as_in_a_request(**kwargs: object) -> None:
    from django.db import close_old_connections

    close_old_connections()


app.autodiscover_tasks()
