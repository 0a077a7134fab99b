"""The reconciler against the real local cluster (tests/fixtures/kube.py starts it).

Each test gets its own installation label and environment namespace prefix, so
concurrent test runs sharing the cluster never see each other's objects, and its
namespace is deleted afterwards. Reconciles run in the test process by calling
the reconciler directly; tests/reconciler/test_worker.py runs a real Celery worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from apps.clusters import kube
from apps.deployments import reconciler, services
from apps.deployments.choices import ConditionType
from apps.deployments.models import Deployment
from apps.deployments.tasks import reconcile_once
from controlplane.celery import app
from tests import factories
from tests.fixtures.kube import KubeCluster

REPO_ROOT = Path(__file__).resolve().parents[2]
# Short, so ProgressDeadlineExceeded (and auto-rollback) come within a test's patience.
PROGRESS_DEADLINE_S = 12
KUBECTL_VERSION = next(
    line.split("=", 1)[1].strip()
    for line in (REPO_ROOT / "scripts/cluster/versions.env").read_text().splitlines()
    if line.startswith("KUBERNETES_VERSION=")
)
KUBECTL = Path.home() / ".cache" / "gantry" / f"kubernetes-{KUBECTL_VERSION}" / "bin" / "kubectl"


@pytest.fixture(autouse=True)
def installation(settings) -> str:
    settings.GANTRY_INSTALLATION = f"t{uuid.uuid4().hex[:10]}"
    settings.GANTRY_PROGRESS_DEADLINE_S = PROGRESS_DEADLINE_S
    return settings.GANTRY_INSTALLATION


@pytest.fixture
def cluster_record(kube_cluster: KubeCluster, db):
    return factories.ClusterFactory(name="local", kubeconfig_path=kube_cluster.kubeconfig)


@pytest.fixture
def cluster(cluster_record) -> kube.Cluster:
    """Gantry's own client of the local cluster, for looking at what it did."""
    return kube.connect(reconciler.cluster_ref(cluster_record))


@pytest.fixture
def environment(team, cluster_record, cluster: kube.Cluster) -> Iterator[Any]:
    env = factories.EnvironmentFactory(
        name="development", namespace=f"r{uuid.uuid4().hex[:8]}", cluster=cluster_record
    )
    env.teams.add(team)
    yield env
    # Without waiting: the namespace's objects go with it in the background.
    cluster.delete("Namespace", env.namespace_for(team.name))


@pytest.fixture
def make_deployment(deployer, team, environment, model_version) -> Callable[..., Deployment]:
    def make(name: str = "chat", **spec: Any) -> Deployment:
        spec.setdefault("cpu", "500m")
        spec.setdefault("memory", "1Gi")
        return services.create_deployment(
            actor=deployer,
            team=team,
            environment=spec.pop("environment", environment),
            name=name,
            model_version=spec.pop("version", model_version),
            **spec,
        )

    return make


@pytest.fixture
def version(team):
    """Make another version of the deployment's model, with an image tag of choice."""

    def make(tag: str, model_version) -> Any:
        return factories.ModelVersionFactory(
            model=model_version.model,
            version=tag.replace(".", "-"),
            image=f"registry.example.com/llm/server:{tag}",
        )

    return make


def run(deployment: Deployment, *, observe_only: bool = False) -> Deployment:
    """One reconcile, as the worker would run it; returns the record as it is after."""
    reconcile_once(deployment.pk, observe_only=observe_only)
    return Deployment.objects.get(pk=deployment.pk)


def condition(deployment: Deployment, type_: str) -> dict[str, Any]:
    return deployment.condition(type_) or {}


def converge(
    deployment: Deployment,
    until: Callable[[Deployment], bool],
    *,
    what: str,
    timeout: float = 60.0,
) -> Deployment:
    """Reconcile as the follow-ups would (status checks) until `until(record)` holds."""
    deadline = time.monotonic() + timeout
    record = run(deployment)
    while not until(record):
        if time.monotonic() > deadline:
            seen = [(c["type"], c["status"], c["reason"], c["message"]) for c in record.conditions]
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; conditions: {seen}")
        time.sleep(0.5)
        record = run(record, observe_only=True)
    return record


def is_available(record: Deployment) -> bool:
    return condition(record, ConditionType.AVAILABLE).get("status") == "True"


def is_degraded(reason: str) -> Callable[[Deployment], bool]:
    def check(record: Deployment) -> bool:
        degraded = condition(record, ConditionType.DEGRADED)
        return degraded.get("status") == "True" and degraded.get("reason") == reason

    return check


def owned(cluster: kube.Cluster, deployment: Deployment, kind: str) -> list[dict[str, Any]]:
    """The objects of `kind` labelled for `deployment` in its namespace."""
    return cluster.list(
        kind,
        namespace=deployment.namespace,
        labels={
            "gantry.dev/deployment-id": str(deployment.pk),
            "gantry.dev/installation": settings.GANTRY_INSTALLATION,
        },
    )


def names(objects: list[dict[str, Any]]) -> list[str]:
    return sorted(obj["metadata"]["name"] for obj in objects)


def kubectl(kubeconfig: str, *args: str) -> str:
    result = subprocess.run(
        [str(KUBECTL), "--kubeconfig", kubeconfig, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"kubectl {' '.join(args)} failed: {result.stderr}"
    return result.stdout


def database_url() -> str:
    """The test database, for a worker process to use."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Start a real Celery worker on the test database and broker; returns its log file.

    Needs committed data: use it from tests marked django_db(transaction=True).
    """
    processes: list[subprocess.Popen] = []
    app.control.purge()  # messages left by earlier tests are not this test's business

    def start(*options: str, concurrency: int = 1, **env: str) -> Path:
        log = tmp_path / f"worker-{len(processes)}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "GANTRY_INSTALLATION": settings.GANTRY_INSTALLATION,
            "GANTRY_PROGRESS_DEADLINE_S": str(settings.GANTRY_PROGRESS_DEADLINE_S),
            **env,
        }
        command = [
            str(REPO_ROOT / ".venv" / "bin" / "celery"),
            "-A", "controlplane", "worker",
            "--concurrency", str(concurrency),
            "--pool", "prefork",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"test-{uuid.uuid4().hex[:8]}@localhost",
            "--loglevel", "INFO",
            *(options or ("--queues", "reconcile")),
        ]  # fmt: skip
        with log.open("w") as out:
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=REPO_ROOT,
                    env=environment,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        return log

    yield start
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for_record(
    pk: int,
    done: Callable[[Deployment | None], bool],
    *,
    what: str,
    log: Path,
    timeout: float = 90,
) -> Deployment | None:
    """Poll the record (None once deleted) until `done`; fail with the worker's log."""
    deadline = time.monotonic() + timeout
    while True:
        record = Deployment.objects.filter(pk=pk).first()
        if done(record):
            return record
        if time.monotonic() > deadline:
            conditions = record.conditions if record else "record gone"
            pytest.fail(
                f"timed out waiting for {what}; conditions: {conditions}\n"
                f"worker log:\n{log.read_text()[-3000:]}"
            )
        time.sleep(0.3)
