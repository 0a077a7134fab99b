"""Scheduling onto the simulated nodes: GPU capacity, taints and products count."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.localcluster.helpers import A100, H100, condition, deployment, pod, wait_for

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("product", [H100, A100])
def test_one_gpu_deployment_becomes_available_on_a_node_of_the_requested_product(
    apps: client.AppsV1Api, core: client.CoreV1Api, kube_namespace: str, product: str
) -> None:
    apps.create_namespaced_deployment(kube_namespace, deployment("llm", gpus=1, product=product))

    wait_for(
        lambda: apps.read_namespaced_deployment("llm", kube_namespace),
        lambda d: getattr(condition(d, "Available"), "status", None) == "True",
        what="the 1-GPU deployment to become Available",
    )
    pods = core.list_namespaced_pod(kube_namespace, label_selector="app=llm").items
    assert len(pods) == 1, f"expected one pod, found {[p.metadata.name for p in pods]}"
    node = core.read_node(pods[0].spec.node_name)
    labels = node.metadata.labels
    assert labels.get("nvidia.com/gpu.product") == product, (
        f"pod ran on {node.metadata.name} ({labels.get('nvidia.com/gpu.product')}), "
        f"not on a {product} node"
    )


def test_deployment_asking_for_100_gpus_stays_unschedulable_for_insufficient_gpus(
    apps: client.AppsV1Api, core: client.CoreV1Api, kube_namespace: str
) -> None:
    apps.create_namespaced_deployment(kube_namespace, deployment("huge", gpus=100))

    events = wait_for(
        lambda: (
            core.list_namespaced_event(
                kube_namespace, field_selector="reason=FailedScheduling"
            ).items
        ),
        lambda items: any("Insufficient nvidia.com/gpu" in (e.message or "") for e in items),
        what="a FailedScheduling event saying 'Insufficient nvidia.com/gpu'",
    )
    assert events
    dep = apps.read_namespaced_deployment("huge", kube_namespace)
    assert not dep.status.available_replicas, (
        f"a 100-GPU deployment must not become available: {dep.status}"
    )


def test_gpu_pod_without_the_toleration_is_kept_off_the_tainted_gpu_nodes(
    core: client.CoreV1Api, kube_namespace: str
) -> None:
    core.create_namespaced_pod(kube_namespace, pod("untolerated", gpus=1, tolerate_gpu=False))

    events = wait_for(
        lambda: (
            core.list_namespaced_event(
                kube_namespace, field_selector="reason=FailedScheduling"
            ).items
        ),
        bool,
        what="a FailedScheduling event for the GPU pod without a toleration",
    )
    message = events[0].message or ""
    assert "untolerated taint" in message, f"expected an untolerated taint, got: {message}"
    assert "nvidia.com/gpu" in message, f"expected the GPU taint to be named, got: {message}"


def test_mig_slice_request_lands_on_the_mig_node(
    core: client.CoreV1Api, kube_namespace: str
) -> None:
    core.create_namespaced_pod(kube_namespace, pod("slice", extra={"nvidia.com/mig-1g.10gb": "1"}))

    scheduled = wait_for(
        lambda: core.read_namespaced_pod("slice", kube_namespace),
        lambda p: bool(p.spec.node_name),
        what="the pod asking for a MIG slice to be scheduled",
    )
    node = core.read_node(scheduled.spec.node_name)
    assert node.metadata.labels.get("nvidia.com/mig.strategy") == "mixed", (
        f"MIG pod ran on {node.metadata.name}, which advertises no MIG slices"
    )
