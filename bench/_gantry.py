"""What the reconciler's benchmarks share: a local cluster of their own, Django on the
bench database, a team with a model in two versions, and real Celery workers.

The cluster is a second instance of scripts/cluster/up.sh (its own state directory,
ports and etcd), so figures are not disturbed by tests sharing the main cluster,
and apiserver_request_total counts Gantry's requests and the cluster's own only.
Extra simulated CPU nodes give room for a thousand pods. Everything is torn down
when the bench process exits.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import signal
import statistics
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".gantry" / "cluster-bench"
CLUSTER_SCRIPTS = ROOT / "scripts" / "cluster"
BENCH_NODES = 4
PODS_PER_NODE = 300
# The worker command recommended for `make run` and production, so figures are what
# users get: reconciles mostly wait on the API server and the database, so eight
# processes keep two cores busy.
WORKER_CONCURRENCY = 8
# Tiny pods: the benchmarks are about the control plane, not about packing nodes.
POD_SPEC = {"cpu": "10m", "memory": "32Mi"}
# Requests that change objects (apiserver_request_total's verb label).
WRITE_VERBS = {"POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION", "CREATE", "UPDATE"}
# The resources Gantry manages; other traffic (leases, events, pod status) is the cluster's own.
GANTRY_RESOURCES = {
    "deployments",
    "services",
    "horizontalpodautoscalers",
    "poddisruptionbudgets",
    "namespaces",
    "resourcequotas",
    "limitranges",
    "serviceaccounts",
    "networkpolicies",
    "ingresses",
    "httproutes",
    "gateways",
}


def cluster_script(name: str, *args: str) -> str:
    result = subprocess.run(
        ["bash", str(CLUSTER_SCRIPTS / name), *args],
        # Without pod-logs: its Logs object per pod would double the API server's writes
        # in a 500-pod burst; the shared log (ClusterLogs) answers every pod.
        env={**os.environ, "GANTRY_CLUSTER_STATE": str(STATE), "GANTRY_CLUSTER_POD_LOGS": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        timeout=3600,
        check=True,
    )
    return result.stdout


def kubectl_path() -> Path:
    versions = dict(
        line.split("=", 1)
        for line in (CLUSTER_SCRIPTS / "versions.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    cache = Path(os.environ.get("GANTRY_CACHE", Path.home() / ".cache" / "gantry"))
    return cache / f"kubernetes-{versions['KUBERNETES_VERSION']}" / "bin" / "kubectl"


def _bench_nodes() -> dict[str, Any]:
    capacity = {
        "cpu": "256",
        "memory": "1Ti",
        "ephemeral-storage": "1Ti",
        "pods": str(PODS_PER_NODE),
    }
    return {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": f"gantry-bench-{i}",
                    "annotations": {"kwok.x-k8s.io/node": "fake"},
                    "labels": {
                        "type": "kwok-bench",
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "kubernetes.io/hostname": f"gantry-bench-{i}",
                    },
                },
                "spec": {},
                "status": {"capacity": capacity, "allocatable": capacity},
            }
            for i in range(BENCH_NODES)
        ],
    }


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


@dataclass
class Harness:
    kubeconfig: str
    installation: str
    objects: dict[str, Any]
    workers: list[subprocess.Popen]

    # --- cluster -------------------------------------------------------------------------

    @property
    def cluster(self) -> Any:
        from apps.clusters import kube
        from apps.deployments.reconciler import cluster_ref

        return kube.connect(cluster_ref(self.objects["cluster"]))

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run(
            [str(kubectl_path()), "--kubeconfig", self.kubeconfig, *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        ).stdout

    def request_counts(self, everything: bool = False) -> Counter[tuple[str, str]]:
        """apiserver_request_total by (verb, resource), for Gantry's resources (or all)."""
        counts: Counter[tuple[str, str]] = Counter()
        pattern = re.compile(r"^apiserver_request_total\{(.*)\} (\S+)$")
        for line in self.cluster.raw_get("/metrics").splitlines():
            match = pattern.match(line)
            if not match:
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            if everything or labels.get("resource") in GANTRY_RESOURCES:
                counts[(labels["verb"], labels["resource"])] += int(float(match.group(2)))
        return counts

    def wait_namespace_gone(self, name: str, timeout: float = 300) -> None:
        self.cluster.delete("Namespace", name)
        wait(lambda: self.cluster.get("Namespace", name) is None, timeout, f"namespace {name} gone")

    # --- records -------------------------------------------------------------------------

    def environment(self, label: str) -> Any:
        """A new environment (so a new namespace) on the bench cluster."""
        from tests import factories

        env = factories.EnvironmentFactory(
            name=f"{label}-{uuid.uuid4().hex[:6]}",
            namespace=f"b{uuid.uuid4().hex[:8]}",
            cluster=self.objects["cluster"],
        )
        env.teams.add(self.objects["team"])
        return env

    def create(self, environment: Any, count: int, prefix: str, **spec: Any) -> list[Any]:
        from apps.deployments import services

        return [
            services.create_deployment(
                actor=self.objects["user"],
                team=self.objects["team"],
                environment=environment,
                name=f"{prefix}-{i}",
                model_version=self.objects["v1"],
                **{**POD_SPEC, **spec},
            )
            for i in range(count)
        ]

    # --- workers -------------------------------------------------------------------------

    @contextmanager
    def worker(self, concurrency: int = WORKER_CONCURRENCY) -> Iterator[None]:
        """A Celery worker as `make run` starts one, on the bench database and broker."""
        from controlplane.celery import app

        app.control.purge()  # other benchmarks may have queued messages nobody consumed
        log = STATE / f"worker-{len(self.workers)}.log"
        env = self._env("WARNING")
        command = [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A", "controlplane", "worker",
            "--queues", "reconcile,resync,celery",
            "--concurrency", str(concurrency),
            "--hostname", f"bench-{uuid.uuid4().hex[:6]}@localhost",
            "--loglevel", "INFO",
        ]  # fmt: skip
        with log.open("w") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.workers.append(process)
        wait(lambda: " ready." in log.read_text(), 60, "the Celery worker to be ready")
        try:
            yield
        finally:
            _stop(process)
            self.workers.remove(process)

    @contextmanager
    def watcher(self) -> Iterator[subprocess.Popen]:
        """`manage.py watch_clusters` as `make run` starts it, once it leads the cluster."""
        log = STATE / f"watcher-{len(self.workers)}.log"
        command = [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "watch_clusters"]
        with log.open("w") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=self._env("INFO"), stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.workers.append(process)
        name = self.objects["cluster"].name
        wait(lambda: f"leading cluster {name}" in log.read_text(), 120, "the watcher to lead")
        try:
            yield process
        finally:
            _stop(process)
            self.workers.remove(process)

    def _env(self, log_level: str) -> dict[str, str]:
        from django.db import connection

        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return {
            **os.environ,
            "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "GANTRY_INSTALLATION": self.installation,
            "LOG_LEVEL": log_level,
        }


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def queue_idle(queue_names: tuple[str, ...] = ("reconcile",)) -> bool:
    """No message waits in the reconcile queue (ETA messages a worker holds aside)."""
    from controlplane.celery import app

    with app.connection_for_write() as connection:
        client = connection.default_channel.client
        return all(client.llen(name) == 0 for name in queue_names)


def wait(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _setup_django(installation: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlplane.settings")
    os.environ["GANTRY_INSTALLATION"] = installation
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # Another benchmark may have set Django up first, with another installation.
    settings.GANTRY_INSTALLATION = installation
    call_command("migrate", verbosity=0, interactive=False)


def _records(kubeconfig: str) -> dict[str, Any]:
    from apps.accounts.choices import Role
    from tests import factories

    suffix = uuid.uuid4().hex[:6]
    team = factories.TeamFactory(name=f"bench-{suffix}")
    user = factories.member(team, Role.DEPLOYER, username=f"bench-{suffix}")
    cluster = factories.ClusterFactory(name=f"bench-{suffix}", kubeconfig_path=kubeconfig)
    model = factories.ModelFactory(team=team, name="llm")
    versions = {
        tag: factories.ModelVersionFactory(
            model=model, version=tag, image=f"registry.example.com/llm/server:{tag}"
        )
        for tag in ("v1", "v2")
    }
    return {"team": team, "user": user, "cluster": cluster, **versions}


_harness: Harness | None = None


def harness() -> Harness:
    """The shared harness, set up on first use and torn down at exit."""
    global _harness
    if _harness is None:
        STATE.mkdir(parents=True, exist_ok=True)
        kubeconfig = cluster_script("up.sh").strip().splitlines()[-1]
        atexit.register(_teardown)
        nodes = _bench_nodes()
        for document, extra in ((nodes, []), (nodes, ["--subresource=status"])):
            subprocess.run(
                [str(kubectl_path()), "--kubeconfig", kubeconfig, "apply", "--server-side",
                 "--field-manager=gantry-bench", *extra, "-f", "-"],
                input=json.dumps(document), text=True, check=True, capture_output=True,
            )  # fmt: skip
        installation = f"bench-{uuid.uuid4().hex[:8]}"
        _setup_django(installation)
        _harness = Harness(kubeconfig, installation, _records(kubeconfig), [])
    return _harness


def _teardown() -> None:
    if _harness is not None:
        for process in list(_harness.workers):
            _stop(process)
    cluster_script("down.sh")
