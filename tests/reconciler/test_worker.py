"""A real Celery worker on the real broker: killed mid-reconcile, or handed the same
message twice, it still converges on one set of objects and loses no record."""

from __future__ import annotations

import time
import uuid

import pytest

from apps.deployments import services
from apps.deployments.choices import ConditionType
from apps.deployments.models import Event
from apps.deployments.tasks import reconcile as reconcile_task
from tests.reconciler.conftest import is_available, names, owned, wait_for_record

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

CREATE_STEPS = ["loaded", "claimed", "applied-one", "applied", "pruned", "observed", "written"]


def one_set_of_objects(cluster, deployment) -> dict[str, list[str] | int]:
    return {
        "Deployment": names(owned(cluster, deployment, "Deployment")),
        "Service": names(owned(cluster, deployment, "Service")),
        "ReplicaSet": len(owned(cluster, deployment, "ReplicaSet")),
        "Pod": len(
            [
                p
                for p in owned(cluster, deployment, "Pod")
                if not p["metadata"].get("deletionTimestamp")
            ]
        ),
    }


@pytest.mark.parametrize("step", CREATE_STEPS)
def test_a_worker_killed_at_any_step_converges_on_the_next_run(
    step, start_worker, make_deployment, cluster, tmp_path
):
    marker = tmp_path / "crashed"
    log = start_worker(GANTRY_CRASH_AT=step, GANTRY_CRASH_MARKER=str(marker))

    deployment = make_deployment(replicas=2)  # its message goes out on commit
    record = wait_for_record(
        deployment.pk,
        lambda r: r is not None and is_available(r),
        what=f"Available after a crash at '{step}'",
        log=log,
    )

    assert marker.exists(), f"the worker never reached '{step}'"
    assert "SIGKILL" in log.read_text(), "the worker log shows no killed process"
    assert record.observed_generation == record.generation == 1
    assert one_set_of_objects(cluster, record) == {
        "Deployment": ["chat"],
        "Service": ["chat"],
        "ReplicaSet": 1,
        "Pod": 2,
    }


def test_a_worker_killed_mid_delete_resumes_and_removes_everything(
    start_worker, make_deployment, cluster, tmp_path, deployer
):
    marker = tmp_path / "crashed"
    log = start_worker(GANTRY_CRASH_AT="delete-requested", GANTRY_CRASH_MARKER=str(marker))
    deployment = make_deployment(replicas=2)
    wait_for_record(
        deployment.pk, lambda r: r is not None and is_available(r), what="Available", log=log
    )

    services.request_delete(deployment, actor=deployer)
    wait_for_record(deployment.pk, lambda r: r is None, what="the record to go", log=log)

    assert marker.exists(), "the worker never reached 'delete-requested'"
    assert one_set_of_objects(cluster, deployment) == {
        "Deployment": [],
        "Service": [],
        "ReplicaSet": 0,
        "Pod": 0,
    }


def test_the_same_message_delivered_twice_makes_one_set_of_objects(
    start_worker, make_deployment, cluster
):
    log = start_worker(concurrency=2)
    deployment = make_deployment(replicas=2)
    task_id = f"duplicate-{uuid.uuid4().hex}"
    for _ in range(2):
        reconcile_task.apply_async((deployment.pk,), task_id=task_id)

    record = wait_for_record(
        deployment.pk, lambda r: r is not None and is_available(r), what="Available", log=log
    )
    time.sleep(2)  # let every copy of the message finish

    assert one_set_of_objects(cluster, record) == {
        "Deployment": ["chat"],
        "Service": ["chat"],
        "ReplicaSet": 1,
        "Pod": 2,
    }
    synced = Event.objects.filter(
        deployment=record, verb="condition", message__startswith="Synced: none -> True"
    )
    assert synced.count() == 1
    assert record.condition(ConditionType.SYNCED)["status"] == "True"
