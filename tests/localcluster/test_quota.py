"""ResourceQuota admission counts GPUs like a real cluster."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.localcluster.helpers import pod, wait_for

pytestmark = pytest.mark.cluster


def test_third_gpu_pod_exceeds_a_quota_of_two_gpus(
    core: client.CoreV1Api, kube_namespace: str
) -> None:
    core.create_namespaced_resource_quota(
        kube_namespace,
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "gpus"},
            "spec": {"hard": {"requests.nvidia.com/gpu": "2"}},
        },
    )
    # Admission enforces a quota once the controller has computed its status.
    wait_for(
        lambda: core.read_namespaced_resource_quota("gpus", kube_namespace),
        lambda q: bool(q.status and q.status.hard),
        what="the resource quota controller to compute the quota's status",
    )
    core.create_namespaced_pod(kube_namespace, pod("gpu-1", gpus=1))
    core.create_namespaced_pod(kube_namespace, pod("gpu-2", gpus=1))

    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_pod(kube_namespace, pod("gpu-3", gpus=1))

    assert excinfo.value.status == 403, f"expected 403 Forbidden, got {excinfo.value.status}"
    assert "exceeded quota" in excinfo.value.body, excinfo.value.body
