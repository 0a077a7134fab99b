"""The simulated nodes look like a real mixed CPU/GPU cluster to the scheduler."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.localcluster.helpers import A100, H100

pytestmark = pytest.mark.cluster

GPU_TAINT = ("nvidia.com/gpu", "present", "NoSchedule")


def _kwok_nodes(core: client.CoreV1Api) -> dict[str, client.V1Node]:
    return {n.metadata.name: n for n in core.list_node(label_selector="type=kwok").items}


def test_every_simulated_node_is_ready(core: client.CoreV1Api) -> None:
    nodes = _kwok_nodes(core)
    not_ready = [
        name
        for name, node in nodes.items()
        if not any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
    ]
    assert len(nodes) == 5, f"expected 5 simulated nodes, found {sorted(nodes)}"
    assert not not_ready, f"nodes not Ready: {not_ready}"


@pytest.mark.parametrize("product", [H100, A100])
def test_gpu_node_advertises_8_gpus_with_its_product_label_and_taint(
    core: client.CoreV1Api, product: str
) -> None:
    nodes = [
        n
        for n in _kwok_nodes(core).values()
        if n.metadata.labels.get("nvidia.com/gpu.product") == product
        and "nvidia.com/gpu" in (n.status.allocatable or {})
    ]
    assert len(nodes) == 1, f"expected one {product} node, found {[n.metadata.name for n in nodes]}"
    node = nodes[0]
    taints = {(t.key, t.value, t.effect) for t in node.spec.taints or []}
    assert node.status.allocatable["nvidia.com/gpu"] == "8"
    assert node.status.capacity["nvidia.com/gpu"] == "8"
    assert node.metadata.labels.get("nvidia.com/gpu.count") == "8"
    assert GPU_TAINT in taints, f"{node.metadata.name} lacks the GPU taint: {taints}"


def test_mig_node_advertises_its_slices(core: client.CoreV1Api) -> None:
    mig = [
        n
        for n in _kwok_nodes(core).values()
        if n.metadata.labels.get("nvidia.com/mig.strategy") == "mixed"
    ]
    assert len(mig) == 1, f"expected one MIG node, found {[n.metadata.name for n in mig]}"
    allocatable = mig[0].status.allocatable
    assert allocatable.get("nvidia.com/mig-1g.10gb") == "7", allocatable
    assert allocatable.get("nvidia.com/mig-3g.40gb") == "2", allocatable


def test_cpu_nodes_have_no_gpus_and_no_taints(core: client.CoreV1Api) -> None:
    nodes = _kwok_nodes(core).values()
    cpu = [n for n in nodes if n.metadata.labels.get("gantry.dev/pool") == "cpu"]
    assert len(cpu) == 2, f"expected two CPU nodes, found {[n.metadata.name for n in cpu]}"
    for node in cpu:
        assert "nvidia.com/gpu" not in node.status.allocatable, node.metadata.name
        assert not node.spec.taints, f"{node.metadata.name} is tainted: {node.spec.taints}"
