"""Pod logs through kube-apiserver: KWOK answers as each node's kubelet, from the files
that scripts/cluster/pod_logs.py writes for each pod from the template of the failure
its image tag asks for (scripts/cluster/logs/), timed from the pod's start; until it has,
from scripts/cluster/kwok-logs.yaml's files, for kubectl and clients alike."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime, timedelta

import pytest
from kubernetes import client

from apps.clusters import kube
from tests.fixtures.kube import CLUSTER_SCRIPTS, component_stopped
from tests.localcluster.helpers import pod, wait_for
from tests.reconciler.conftest import kubectl

pytestmark = pytest.mark.cluster

# The fallback files' lines carry this date; a pod's own log starts at its start time.
FALLBACK_DAY = "2026-05-01T"
HEALTH_503 = '"GET /health HTTP/1.1" 503 Service Unavailable'


def _started(core: client.CoreV1Api, namespace: str, image: str) -> client.V1Pod:
    core.create_namespaced_pod(namespace, pod("server", image=image))
    return wait_for(
        lambda: core.read_namespaced_pod("server", namespace),
        lambda p: p.status.phase == "Running",
        what="the pod to run",
    )


def _own_log(core: client.CoreV1Api, namespace: str, *, previous: bool = False) -> str:
    """The pod's log once it is its own (timed from its start), not the fallback's."""
    return wait_for(
        lambda: core.read_namespaced_pod_log(
            "server", namespace, previous=previous, timestamps=True
        ),
        lambda text: bool(text) and not text.startswith(FALLBACK_DAY),
        what="pod-logs to give the pod a log of its own",
    )


def _stamp(line: str) -> datetime:
    return datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00"))


def test_kubectl_logs_shows_a_model_server_starting(core, kube_cluster, kube_namespace):
    _started(core, kube_namespace, "gantry/model:v1")

    text = kubectl(kube_cluster.kubeconfig, "-n", kube_namespace, "logs", "server")

    assert "Loading model weights took" in text
    assert "Uvicorn running on http://0.0.0.0:8000" in text


def test_the_last_lines_and_a_byte_limit_are_honoured(core, kube_namespace):
    _started(core, kube_namespace, "gantry/model:v1")

    tail = core.read_namespaced_pod_log("server", kube_namespace, tail_lines=3)
    limited = core.read_namespaced_pod_log("server", kube_namespace, limit_bytes=100)

    assert len(tail.splitlines()) == 3
    assert "POST /v1/completions" in tail or "throughput" in tail
    assert len(limited.encode()) <= 100


def test_kubectl_logs_previous_of_a_crash_loop_ends_in_a_traceback(
    core, kube_cluster, kube_namespace
):
    _started(core, kube_namespace, "gantry/model:crash-loop")
    _own_log(core, kube_namespace, previous=True)

    text = kubectl(kube_cluster.kubeconfig, "-n", kube_namespace, "logs", "server", "--previous")

    assert "Traceback (most recent call last):" in text
    assert text.rstrip().splitlines()[-1].startswith("torch.OutOfMemoryError: CUDA out of memory")


def test_the_previous_log_of_an_oom_ends_in_the_kill(core, kube_namespace):
    _started(core, kube_namespace, "gantry/model:oom")

    lines = _own_log(core, kube_namespace, previous=True).rstrip().splitlines()

    assert "Loading safetensors checkpoint shards" in lines[-2]
    # the shell around the server reports the kill; the server itself had no last word
    assert re.search(r"line \d+: +\d+ Killed +python3 -m vllm", lines[-1]), lines[-1]
    assert "Traceback" not in "\n".join(lines)


def test_a_never_ready_server_keeps_failing_its_health_check(core, kube_namespace):
    _started(core, kube_namespace, "gantry/model:never-ready")

    lines = _own_log(core, kube_namespace).rstrip().splitlines()

    assert any("Uvicorn running on http://0.0.0.0:8000" in line for line in lines)
    assert all(line.endswith(HEALTH_503) for line in lines[-100:])
    assert not any('"GET /health HTTP/1.1" 200' in line for line in lines)


def test_a_pods_log_starts_at_its_start_time(core, kube_namespace):
    started = _started(core, kube_namespace, "gantry/model:v1").status.start_time

    first = _own_log(core, kube_namespace).splitlines()[0]

    assert abs(_stamp(first) - started) < timedelta(seconds=1)
    assert first.endswith("vLLM API server version 0.6.3")


@pytest.fixture
def read_log(kube_cluster, kube_namespace):
    """The pod's log read by Gantry's own client (apps.clusters.kube), with timestamps."""
    cluster = kube.connect(kube.ClusterRef(name="local", kubeconfig_path=kube_cluster.kubeconfig))

    def read(**options) -> list[str]:
        query = kube.LogQuery(timestamps=True, max_lines=5000, **options)
        return cluster.read_log(kube_namespace, "server", query).splitlines()

    return read


def test_since_time_returns_only_lines_from_that_time_on(core, kube_namespace, read_log):
    _started(core, kube_namespace, "gantry/model:v1")
    lines = _own_log(core, kube_namespace).splitlines()
    # a whole second (sinceTime is RFC 3339 to the second) inside the start-up lines
    cut = _stamp(lines[10]).replace(microsecond=0) + timedelta(seconds=1)

    since = read_log(since_time=cut.strftime("%Y-%m-%dT%H:%M:%SZ"))

    assert since == [line for line in lines if _stamp(line) >= cut]
    assert 0 < len(since) < len(lines)


def test_since_seconds_returns_only_the_lines_of_the_last_seconds(core, kube_namespace, read_log):
    started = _started(core, kube_namespace, "gantry/model:v1").status.start_time
    lines = _own_log(core, kube_namespace).splitlines()
    # the start-up takes 2.5 s of the log; wait until all of it is over a second old
    wait_for(
        lambda: datetime.now(UTC) - started,
        lambda age: age > timedelta(seconds=4),
        what="the pod to be 4 s old",
    )

    before = datetime.now(UTC)
    recent = read_log(since_seconds=1)
    after = datetime.now(UTC)

    # kwok cut at its own now - 1 s, some time between `before` and `after`
    assert recent, "no line in the last second"
    assert all(_stamp(line) >= before - timedelta(seconds=1) for line in recent)
    assert {x for x in lines if _stamp(x) >= after - timedelta(seconds=1)} <= set(recent)
    assert not any("Loading model weights took" in line for line in recent)


def test_until_pod_logs_has_seen_a_pod_the_shared_logs_answer(core, kube_namespace):
    with component_stopped("pod-logs"):
        _started(core, kube_namespace, "gantry/model:oom")
        previous = core.read_namespaced_pod_log("server", kube_namespace, previous=True)

    assert previous.rstrip().splitlines()[-1].startswith("torch.OutOfMemoryError")
    own = _own_log(core, kube_namespace, previous=True)
    assert "Killed" in own.rstrip().splitlines()[-1]


def _pod_logs_script():
    path = CLUSTER_SCRIPTS / "pod_logs.py"
    spec = importlib.util.spec_from_file_location("pod_logs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("image", "stage"),
    [("gantry/model:v1", ""), ("registry.example.com:5000/llm/server:oom", "oom"),
     ("registry.example.com:5000/llm/server", ""), ("llm/server:crash-loop", "crash-loop"),
     ("llm/server:never-ready", "never-ready"), ("llm/server@sha256:0a1b", "")],
)  # fmt: skip
def test_the_image_tag_picks_the_failure_as_the_kwok_stages_do(image, stage):
    assert _pod_logs_script().stage_of(image) == stage


def test_a_template_is_moved_whole_to_the_pods_start():
    script = _pod_logs_script()
    start = datetime(2026, 12, 2, 6, 0, 0, 250000, tzinfo=UTC)

    lines = script.Template(CLUSTER_SCRIPTS / "logs" / "model-server.log").render(start)
    lines = lines.splitlines()

    assert lines[0] == (
        "2026-12-02T06:00:00.250000000Z stdout F INFO 12-02 06:00:00 api_server.py:528] "
        "vLLM API server version 0.6.3"
    )
    # the template's second line is 0.137 s after its first, and so is the pod's
    assert lines[1].startswith("2026-12-02T06:00:00.387000000Z stdout F INFO 12-02 06:00:00 ")
    assert len(lines) == 1219
