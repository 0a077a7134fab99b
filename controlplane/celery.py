"""The Celery application; queues and periodic schedules are declared here, once."""

import os

from celery import Celery
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


app.autodiscover_tasks()
