"""PriorityClasses per tier in the real scheduler: a production model preempts a
development one for GPUs, a waiting development pod does not hold production back,
and a development pod never preempts production (scripts/cluster/priorityclasses.yaml
gives the local cluster the classes; the pods are the ones manifests render).

Every pod asks for all 8 GPUs of the one H100 node, so two never fit together."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from apps.clusters.choices import Tier
from apps.deployments import manifests as m
from apps.deployments import priority
from tests.deployments.test_manifests import BASE
from tests.localcluster.helpers import H100, condition, wait_for

pytestmark = pytest.mark.cluster

H100_NODE = "gantry-gpu-h100-1"
WHOLE_NODE = replace(BASE, gpu_count=8, gpu_model=H100, cpu="1", memory="1Gi")


def model_pod(namespace: str, name: str, tier: str, pod_id: int) -> dict[str, Any]:
    """A pod of a deployment in an environment of `tier`, as manifests render it."""
    spec = replace(
        WHOLE_NODE,
        id=pod_id,
        name=name,
        namespace=namespace,
        priority_class=priority.class_name(tier),
    )
    template = m.pod_template(spec, m.STABLE)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **template["metadata"]},
            "spec": template["spec"]}  # fmt: skip


@pytest.fixture
def namespace(core: client.CoreV1Api, kube_namespace: str) -> str:
    core.create_namespaced_service_account(
        kube_namespace, {"metadata": {"name": m.SERVICE_ACCOUNT}}
    )
    return kube_namespace


def create(core: client.CoreV1Api, namespace: str, name: str, tier: str, pod_id: int) -> None:
    core.create_namespaced_pod(namespace, model_pod(namespace, name, tier, pod_id))


def running_on_h100(core: client.CoreV1Api, namespace: str, name: str) -> client.V1Pod:
    return wait_for(
        lambda: core.read_namespaced_pod(name, namespace),
        lambda p: (
            p.spec.node_name == H100_NODE
            and getattr(condition(p, "Ready"), "status", None) == "True"
        ),
        what=f"pod {name} to run on {H100_NODE}",
        timeout=90,
    )


def unschedulable(core: client.CoreV1Api, namespace: str, name: str) -> str:
    """The scheduler's message once it has tried `name` and found no room."""
    pod = wait_for(
        lambda: core.read_namespaced_pod(name, namespace),
        lambda p: getattr(condition(p, "PodScheduled"), "reason", None) == "Unschedulable",
        what=f"the scheduler to find no room for {name}",
    )
    return condition(pod, "PodScheduled").message


def gone(core: client.CoreV1Api, namespace: str, name: str) -> bool:
    try:
        core.read_namespaced_pod(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return False


def test_the_tiers_classes_are_in_the_cluster(api: client.ApiClient) -> None:
    scheduling = client.SchedulingV1Api(api)
    for obj in priority.priority_classes():
        stored = scheduling.read_priority_class(obj["metadata"]["name"])
        assert (stored.value, stored.preemption_policy) == (
            obj["value"],
            obj["preemptionPolicy"],
        ), f"{obj['metadata']['name']} differs from apps/deployments/priority.py"


def test_a_production_pod_carries_the_higher_priority(core, namespace) -> None:
    create(core, namespace, "dev", Tier.DEVELOPMENT, 1)
    create(core, namespace, "prod", Tier.PRODUCTION, 2)

    dev = core.read_namespaced_pod("dev", namespace).spec
    prod = core.read_namespaced_pod("prod", namespace).spec
    assert (prod.priority_class_name, prod.priority) == ("gantry-production", 1_000_000)
    assert prod.preemption_policy == "PreemptLowerPriority"
    assert (dev.priority_class_name, dev.priority) == ("gantry-development", 10_000)
    assert dev.preemption_policy == "Never"


def test_production_preempts_development_and_a_waiting_development_pod_does_not_block_it(
    core, namespace
) -> None:
    create(core, namespace, "dev-running", Tier.DEVELOPMENT, 1)
    running_on_h100(core, namespace, "dev-running")
    create(core, namespace, "dev-waiting", Tier.DEVELOPMENT, 2)
    unschedulable(core, namespace, "dev-waiting")

    create(core, namespace, "prod", Tier.PRODUCTION, 3)

    running_on_h100(core, namespace, "prod")
    assert gone(core, namespace, "dev-running"), "the running development pod was not evicted"
    events = wait_for(
        lambda: (
            core.list_namespaced_event(
                namespace, field_selector="involvedObject.name=dev-running,reason=Preempted"
            ).items
        ),
        bool,
        what="the scheduler's Preempted event on the development pod",
    )
    assert H100_NODE in events[0].message, events[0].message
    waiting = core.read_namespaced_pod("dev-waiting", namespace)
    assert not waiting.spec.node_name, "the waiting development pod took the freed GPUs"


def test_a_development_pod_never_preempts_production(core, namespace) -> None:
    create(core, namespace, "prod", Tier.PRODUCTION, 1)
    running_on_h100(core, namespace, "prod")

    create(core, namespace, "dev", Tier.DEVELOPMENT, 2)

    message = unschedulable(core, namespace, "dev")
    assert "not eligible due to preemptionPolicy=Never" in message, message
    prod = core.read_namespaced_pod("prod", namespace)
    assert prod.metadata.deletion_timestamp is None, "production was evicted"
    assert condition(prod, "DisruptionTarget") is None, "production was marked for preemption"
