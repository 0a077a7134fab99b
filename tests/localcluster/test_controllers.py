"""The controllers Gantry leans on run: disruption budgets and garbage collection."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.localcluster.helpers import deployment, wait_for

pytestmark = pytest.mark.cluster


def test_disruption_controller_computes_a_pod_disruption_budget(
    apps: client.AppsV1Api, api: client.ApiClient, kube_namespace: str
) -> None:
    policy = client.PolicyV1Api(api)
    apps.create_namespaced_deployment(kube_namespace, deployment("web", replicas=2))
    policy.create_namespaced_pod_disruption_budget(
        kube_namespace,
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
        },
    )

    pdb = wait_for(
        lambda: policy.read_namespaced_pod_disruption_budget("web", kube_namespace),
        lambda p: bool(p.status and p.status.current_healthy == 2),
        what="the PDB to count two healthy pods",
    )
    assert pdb.status.disruptions_allowed == 1, pdb.status


def test_deleting_a_deployment_garbage_collects_its_pods(
    apps: client.AppsV1Api, core: client.CoreV1Api, kube_namespace: str
) -> None:
    apps.create_namespaced_deployment(kube_namespace, deployment("gone", replicas=2))
    wait_for(
        lambda: core.list_namespaced_pod(kube_namespace, label_selector="app=gone").items,
        lambda pods: len(pods) == 2,
        what="two pods of the deployment",
    )

    apps.delete_namespaced_deployment("gone", kube_namespace, propagation_policy="Background")

    wait_for(
        lambda: core.list_namespaced_pod(kube_namespace, label_selector="app=gone").items,
        lambda pods: not pods,
        what="the garbage collector to delete the deployment's pods",
    )
    replica_sets = apps.list_namespaced_replica_set(kube_namespace).items
    assert not replica_sets, [rs.metadata.name for rs in replica_sets]
