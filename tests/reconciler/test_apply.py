"""Create, place, scale: a deployment record becomes running pods, and says so."""

import pytest

from apps.deployments import services
from apps.deployments.choices import ConditionType
from tests.reconciler.conftest import condition, converge, is_available, names, owned, run

pytestmark = pytest.mark.cluster

H100 = "NVIDIA-H100-80GB-HBM3"


def pods_nodes(cluster, deployment):
    return sorted(pod["spec"].get("nodeName", "") for pod in owned(cluster, deployment, "Pod"))


def test_a_new_deployment_becomes_available_with_its_objects(make_deployment, cluster):
    deployment = make_deployment(replicas=2)

    record = converge(deployment, is_available, what="the deployment to become Available")

    assert (record.observed_generation, record.ready_replicas) == (1, 2)
    assert condition(record, ConditionType.SYNCED)["reason"] == "Applied"
    assert names(owned(cluster, record, "Deployment")) == ["chat"]
    assert names(owned(cluster, record, "Service")) == ["chat"]
    assert names(owned(cluster, record, "PodDisruptionBudget")) == ["chat"]


def test_an_h100_request_runs_on_the_h100_node(make_deployment, cluster):
    deployment = make_deployment(gpu_count=1, gpu_model=H100)

    converge(deployment, is_available, what="the H100 deployment to become Available")

    assert pods_nodes(cluster, deployment) == ["gantry-gpu-h100-1"]


def test_a_mig_profile_runs_on_the_mig_node(make_deployment, cluster):
    deployment = make_deployment(gpu_count=1, mig_profile="1g.10gb")

    converge(deployment, is_available, what="the MIG deployment to become Available")

    assert pods_nodes(cluster, deployment) == ["gantry-gpu-mig-1"]


def test_scaling_changes_the_replicas_in_the_cluster(make_deployment, deployer, cluster):
    deployment = converge(make_deployment(replicas=1), is_available, what="Available at 1")

    services.scale(deployment, actor=deployer, replicas=3)
    record = converge(
        deployment, lambda r: is_available(r) and r.ready_replicas == 3, what="3 ready replicas"
    )

    assert owned(cluster, record, "Deployment")[0]["spec"]["replicas"] == 3
    assert record.observed_generation == 2


def test_the_namespace_gets_the_team_quota_as_a_resource_quota(make_deployment, team, cluster):
    from apps.quotas.models import Quota

    Quota.objects.create(team=team, gpus_total=4, replicas=10)
    deployment = make_deployment()

    run(deployment)

    quota = cluster.get("ResourceQuota", "gantry-quota", deployment.namespace)
    assert quota is not None, "no ResourceQuota in the namespace"
    assert quota["spec"]["hard"] == {"requests.nvidia.com/gpu": "4", "pods": "10"}


def test_reconciling_a_converged_deployment_again_changes_nothing(make_deployment, cluster):
    deployment = converge(make_deployment(), is_available, what="Available")
    before = {
        kind: [obj["metadata"]["resourceVersion"] for obj in owned(cluster, deployment, kind)]
        for kind in ("Deployment", "Service")
    }

    run(deployment)

    after = {
        kind: [obj["metadata"]["resourceVersion"] for obj in owned(cluster, deployment, kind)]
        for kind in ("Deployment", "Service")
    }
    assert after == before


def test_the_namespace_is_fenced_by_a_network_policy(make_deployment, environment, cluster):
    environment.ingress_namespaces = "ingress-nginx, monitoring"
    environment.save()
    deployment = make_deployment()

    run(deployment)

    fence = cluster.get("NetworkPolicy", "gantry-model-servers", deployment.namespace)
    assert fence is not None, "no NetworkPolicy in the team's namespace"
    assert fence["spec"]["podSelector"] == {
        "matchLabels": {"app.kubernetes.io/managed-by": "gantry"}
    }
    assert fence["spec"]["policyTypes"] == ["Ingress"], "egress must stay open"
    sources = fence["spec"]["ingress"][0]["from"]
    assert sources[0] == {"podSelector": {}}, "the namespace's own pods must be let in"
    assert sources[1]["namespaceSelector"]["matchExpressions"] == [
        {
            "key": "kubernetes.io/metadata.name",
            "operator": "In",
            "values": ["ingress-nginx", "monitoring"],
        }
    ]


def test_restricted_egress_fences_where_model_pods_may_connect(
    make_deployment, environment, cluster
):
    environment.restrict_egress = True
    environment.egress_cidrs = "10.20.0.0/16, 192.168.1.10/32"
    environment.egress_namespaces = "vector-db"
    environment.save()
    deployment = make_deployment()

    run(deployment)

    fence = cluster.get("NetworkPolicy", "gantry-model-servers", deployment.namespace)
    assert fence is not None, "no NetworkPolicy in the team's namespace"
    assert fence["spec"]["policyTypes"] == ["Ingress", "Egress"]
    destinations = [rule["to"] for rule in fence["spec"]["egress"]]
    assert destinations[0][0]["namespaceSelector"]["matchExpressions"][0]["values"] == [
        "kube-system"
    ], "DNS in kube-system must stay reachable"
    assert {"protocol": "UDP", "port": 53} in fence["spec"]["egress"][0]["ports"]
    assert destinations[1] == [{"podSelector": {}}]
    assert destinations[2][0]["namespaceSelector"]["matchExpressions"][0]["values"] == ["vector-db"]
    assert destinations[3] == [
        {"ipBlock": {"cidr": "10.20.0.0/16"}},
        {"ipBlock": {"cidr": "192.168.1.10/32"}},
    ]


def test_a_production_models_pods_carry_the_production_priority(
    make_deployment, environment, cluster
):
    environment.tier = "production"
    environment.save()
    deployment = make_deployment()

    converge(deployment, is_available, what="the production deployment to become Available")

    (pod,) = owned(cluster, deployment, "Pod")
    assert pod["spec"]["priorityClassName"] == "gantry-production"
    assert pod["spec"]["priority"] == 1_000_000
