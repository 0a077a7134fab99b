"""Pod logs through kube-apiserver: KWOK answers as each node's kubelet from the files
in scripts/cluster/logs/ (scripts/cluster/kwok-logs.yaml), for kubectl and clients alike."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.localcluster.helpers import pod, wait_for
from tests.reconciler.conftest import kubectl

pytestmark = pytest.mark.cluster


def _started(core: client.CoreV1Api, namespace: str, image: str) -> client.V1Pod:
    core.create_namespaced_pod(namespace, pod("server", image=image))
    return wait_for(
        lambda: core.read_namespaced_pod("server", namespace),
        lambda p: p.status.phase == "Running",
        what="the pod to run",
    )


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

    text = kubectl(kube_cluster.kubeconfig, "-n", kube_namespace, "logs", "server", "--previous")

    assert "Traceback (most recent call last):" in text
    assert text.rstrip().splitlines()[-1].startswith("torch.OutOfMemoryError: CUDA out of memory")
