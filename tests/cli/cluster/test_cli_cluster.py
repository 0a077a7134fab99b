"""`gantry` end to end: gunicorn, a Celery worker and the local cluster, driven only by
the command line, checked in the cluster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings

from apps.deployments.models import Deployment, Revision
from tests.reconciler.conftest import owned
from tests.servers import gunicorn, session_database_url

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

H100 = "NVIDIA-H100-80GB-HBM3"
IMAGE = "registry.example.com/llm/server"
FILE = f"""\
kind: Model
name: llama
team: nlp
versions:
  - version: v1
    artifact_uri: s3://models/llama/v1
    image: {IMAGE}:1.0
  - version: v2
    artifact_uri: s3://models/llama/v2
    image: {IMAGE}:2.0
---
kind: Deployment
name: chat
team: nlp
environment: development
version: llama:v1
replicas: 1
cpu: 500m
memory: 1Gi
"""


@pytest.fixture
def live(installation, environment, start_worker) -> Iterator[str]:
    """A worker and a web server of this test's installation; yields the server's URL."""
    start_worker()
    env = {
        "DATABASE_URL": session_database_url(),
        "GANTRY_API_THROTTLE_RATE": "1000000/min",
        "GANTRY_INSTALLATION": settings.GANTRY_INSTALLATION,
        "GANTRY_PODS_CACHE_S": "0",
    }
    with gunicorn(env, workers=1, threads=4) as url:
        yield url


@pytest.fixture
def cli(live, deployer, token_of, gantry):
    """gantry(...) after `gantry login` from stdin, as the deployer."""
    login = gantry("login", "--url", live, "--token-stdin", input=token_of(deployer))
    assert login.returncode == 0, login.stderr

    def run(*args: str, input: str | None = None, ok: bool = True):
        result = gantry(*args, input=input, env={"NO_COLOR": "1"})
        if ok:
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    return run


def cluster_deployment(kube, record: Deployment, name: str = "chat") -> dict:
    (found,) = [d for d in owned(kube, record, "Deployment") if d["metadata"]["name"] == name]
    return found


def image_of(deployment: dict) -> str:
    (container,) = [
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "server"
    ]
    return container["image"]


def test_apply_wait_scale_canary_rollback_stop_start_and_logs(cli, cluster):
    cli("apply", "-f", "-", input=FILE)
    waited = cli("wait", "chat", "--for", "available", "--timeout", "3m")
    assert "chat: AllReplicasReady: Serving" in waited.stderr
    record = Deployment.objects.get(name="chat")
    revisions = Revision.objects.filter(deployment=record).count()

    again = cli("apply", "-f", "-", input=FILE)
    assert "deployment/chat unchanged" in again.stdout
    assert Revision.objects.filter(deployment=record).count() == revisions

    cli("scale", "chat", "--replicas", "2", "--wait", "--timeout", "3m")
    assert cluster_deployment(cluster, record)["spec"]["replicas"] == 2

    cli("canary", "set", "chat", "llama:v2", "--weight", "20")
    cli("canary", "promote", "chat")
    cli("wait", "chat", "--timeout", "3m")
    assert image_of(cluster_deployment(cluster, record)) == f"{IMAGE}:2.0"

    rolled = cli("rollback", "chat", "--to", "2", "--wait", "--timeout", "3m")
    assert rolled.stdout.startswith("deployment/chat rolled back to revision 2")
    assert image_of(cluster_deployment(cluster, record)) == f"{IMAGE}:1.0"

    cli("stop", "chat")
    cli("wait", "chat", "--for", "stopped", "--timeout", "3m")
    assert cluster_deployment(cluster, record)["spec"]["replicas"] == 0
    cli("start", "chat")
    cli("wait", "chat", "--timeout", "3m")
    assert cluster_deployment(cluster, record)["spec"]["replicas"] == 2

    logs = cli("logs", "chat", "--tail", "5")
    lines = logs.stdout.splitlines()
    assert len(lines) == 10, logs.stdout  # two pods, five lines each
    assert all(line.startswith("[chat-") for line in lines), lines


def test_logs_previous_of_a_crash_loop_prints_the_traceback(cli):
    crashing = FILE.replace(f"{IMAGE}:1.0", f"{IMAGE}:crash-loop")
    cli("apply", "-f", "-", input=crashing)

    degraded = cli("wait", "chat", "--for", "degraded", "--timeout", "3m")
    assert "CrashLoopBackOff" in degraded.stderr

    logs = cli("logs", "chat", "-p")
    assert "Traceback (most recent call last):" in logs.stdout
    assert "CUDA out of memory" in logs.stdout


def test_wait_on_an_unschedulable_deployment_times_out_with_the_schedulers_reason(cli):
    greedy = FILE.replace("memory: 1Gi", f"memory: 1Gi\ngpu_count: 9\ngpu_model: {H100}")
    cli("apply", "-f", "-", input=greedy)

    result = cli("wait", "chat", "--timeout", "40s", ok=False)

    assert result.returncode == 2, result.stderr
    assert "Timed out after 40 s waiting for chat to be available" in result.stderr
    assert "Insufficient nvidia.com/gpu" in result.stderr
