"""The capacity preview against the local cluster: Gantry's reads of its nodes and pods."""

from __future__ import annotations

from fractions import Fraction

import pytest
from kubernetes import client

from apps.clusters import capacity, inventory, kube
from tests.localcluster.helpers import GPU_TOLERATION, H100, pod_spec, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.django_db]

H100_NODE = "gantry-gpu-h100-1"


def h100_ask(gpus: int) -> capacity.PodAsk:
    return capacity.PodAsk(
        requests={"cpu": Fraction(1), "nvidia.com/gpu": Fraction(gpus), "pods": Fraction(1)},
        node_selector={"nvidia.com/gpu.product": H100},
        tolerations=(GPU_TOLERATION,),
    )


@pytest.fixture
def rooms(kube_cluster, settings):
    settings.GANTRY_CLUSTER_NODES_CACHE_S = 0  # every call reads the cluster afresh
    ref = kube.ClusterRef(name="local", kubeconfig_path=kube_cluster.kubeconfig)
    return lambda: {room.name: room for room in inventory.node_rooms(ref)}


def test_the_nodes_offer_their_gpu_models_and_mig_profiles(rooms):
    models, profiles = capacity.advertised(rooms().values())
    assert H100 in models
    assert {"1g.10gb", "3g.40gb"} <= set(profiles)


def test_a_bound_pod_takes_its_gpus_from_what_the_node_has_free(
    rooms, core: client.CoreV1Api, kube_namespace: str
):
    before = rooms()[H100_NODE].free["nvidia.com/gpu"]
    assert before >= 3, f"{H100_NODE} has only {before} GPUs free: other tests hold them"
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "holds-gpus"},
        "spec": pod_spec(gpus=3, product=H100),
    }
    core.create_namespaced_pod(kube_namespace, body)
    wait_for(
        lambda: core.read_namespaced_pod("holds-gpus", kube_namespace),
        lambda pod: bool(pod.spec.node_name),
        what="the scheduler to bind the pod",
    )
    after = rooms()
    assert after[H100_NODE].free["nvidia.com/gpu"] == before - 3
    free = int(before - 3)
    fits = capacity.fit(after.values(), h100_ask(free))
    assert fits.text == f"Fits now: 1 of 1 {H100} nodes has {free} free GPUs"
    waits = capacity.fit(after.values(), h100_ask(free + 1))
    assert waits.text == (
        f"Will wait: no node has {free + 1} free nvidia.com/gpu "
        f"(largest free: {free} on {H100_NODE})"
    )


def test_an_unreachable_cluster_is_said_so(settings, tmp_path):
    settings.GANTRY_CLUSTER_NODES_CACHE_S = 0
    ref = kube.ClusterRef(name="gone", kubeconfig_path=str(tmp_path / "missing.yaml"))
    settings.GANTRY_KUBECONFIG_DIRS = [str(tmp_path)]
    with pytest.raises(inventory.Unavailable, match="Cluster 'gone' cannot be reached right now"):
        inventory.node_rooms(ref)
