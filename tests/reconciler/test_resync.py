"""Resync: one LIST per kind finds drift, missing objects, orphans and status changes."""

import pytest
from django.conf import settings

from apps.deployments import reconciler, resync, services
from apps.deployments.models import Event
from tests import factories
from tests.reconciler.conftest import converge, is_available, kubectl, names, owned, run

pytestmark = pytest.mark.cluster


def sweep(cluster_record) -> resync.Plan:
    """One resync, then the reconciles it asks for, as the tasks would run them."""
    plan = resync.resync_cluster(cluster_record)
    for pk in plan.reconcile:
        reconciler.reconcile(pk)
    for pk in plan.observe - plan.reconcile:
        reconciler.reconcile(pk, observe_only=True)
    for environment_id, team_id in plan.namespaces:
        reconciler.reconcile_namespace(environment_id, team_id)
    return plan


def image_of(cluster, deployment):
    (live,) = owned(cluster, deployment, "Deployment")
    return live["spec"]["template"]["spec"]["containers"][0]["image"]


@pytest.fixture
def available(make_deployment, cluster_record):
    deployment = converge(make_deployment(replicas=2), is_available, what="Available")
    sweep(cluster_record)  # settle status changes seen since the last look
    return deployment


def test_a_converged_deployment_needs_nothing(available, cluster_record, cluster):
    before = {
        kind: [o["metadata"]["resourceVersion"] for o in owned(cluster, available, kind)]
        for kind in ("Deployment", "Service", "PodDisruptionBudget")
    }

    plan = resync.resync_cluster(cluster_record)

    assert (plan.reconcile, plan.observe, plan.namespaces, plan.deleted) == (
        set(),
        set(),
        set(),
        [],
    )
    after = {
        kind: [o["metadata"]["resourceVersion"] for o in owned(cluster, available, kind)]
        for kind in ("Deployment", "Service", "PodDisruptionBudget")
    }
    assert after == before


def test_an_image_changed_with_kubectl_is_restored(
    available, cluster_record, cluster, kube_cluster
):
    kubectl(
        kube_cluster.kubeconfig,
        "-n", available.namespace,
        "set", "image", "deployment/chat", "server=evil.example.com/miner:1",
    )  # fmt: skip

    plan = sweep(cluster_record)

    assert available.pk in plan.reconcile
    assert image_of(cluster, available) == "vllm/vllm-openai:v0.6.3"
    note = Event.objects.get(deployment=available, verb="correct-drift")
    assert "kubectl-set" in note.message, note.message


def test_replicas_changed_by_the_hpa_are_not_drift(
    make_deployment, cluster_record, cluster, deployer, kube_cluster
):
    deployment = make_deployment(min_replicas=1, max_replicas=4, autoscaling_target=80)
    converge(deployment, is_available, what="Available")
    # What the HPA controller does: write the scale subresource.
    kubectl(
        kube_cluster.kubeconfig, "-n", deployment.namespace, "scale", "deployment/chat",
        "--replicas=3",
    )  # fmt: skip

    plan = resync.resync_cluster(cluster_record)

    assert deployment.pk not in plan.reconcile, plan.reasons
    assert owned(cluster, deployment, "Deployment")[0]["spec"]["replicas"] == 3


def test_replicas_changed_with_kubectl_on_a_fixed_count_are_restored(
    available, cluster_record, cluster, kube_cluster
):
    kubectl(
        kube_cluster.kubeconfig, "-n", available.namespace, "scale", "deployment/chat",
        "--replicas=5",
    )  # fmt: skip

    sweep(cluster_record)

    assert owned(cluster, available, "Deployment")[0]["spec"]["replicas"] == 2


def test_a_deleted_service_is_created_again(available, cluster_record, cluster):
    cluster.delete("Service", "chat", available.namespace)

    plan = sweep(cluster_record)

    assert plan.reasons[available.pk] == "Service chat missing"
    assert names(owned(cluster, available, "Service")) == ["chat"]


def test_an_orphan_is_deleted(available, cluster_record, cluster):
    orphan = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "leftover",
            "namespace": available.namespace,
            "labels": {
                "app.kubernetes.io/managed-by": "gantry",
                "gantry.dev/installation": settings.GANTRY_INSTALLATION,
                "gantry.dev/deployment-id": "999999999",
            },
        },
        "spec": {"ports": [{"port": 80}]},
    }
    cluster.apply(orphan)

    plan = sweep(cluster_record)

    assert [line.split(":")[0] for line in plan.deleted] == [
        f"Service {available.namespace}/leftover"
    ]
    assert cluster.get("Service", "leftover", available.namespace) is None


def test_a_second_record_of_the_same_cluster_deletes_none_of_the_firsts_objects(
    available, kube_cluster, cluster
):
    """Registered twice (or re-registered while the old record lingers): each record's
    sweep sees the other's objects, which have a record, just not under it."""
    twin = factories.ClusterFactory(name="local-again", kubeconfig_path=kube_cluster.kubeconfig)

    plan = sweep(twin)

    assert plan.deleted == [], "objects whose record is under the other cluster record"
    assert cluster.get("Service", available.name, available.namespace) is not None


def test_another_installations_objects_are_left_alone(available, cluster_record, cluster):
    theirs = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "theirs",
            "namespace": available.namespace,
            "labels": {
                "app.kubernetes.io/managed-by": "gantry",
                "gantry.dev/installation": "someone-else",
                "gantry.dev/deployment-id": "999999999",
            },
        },
        "spec": {"ports": [{"port": 80}]},
    }
    cluster.apply(theirs)

    plan = sweep(cluster_record)

    assert plan.deleted == []
    assert cluster.get("Service", "theirs", available.namespace) is not None


def test_a_changed_resource_quota_is_put_back(make_deployment, team, cluster_record, cluster):
    from apps.quotas.models import Quota

    Quota.objects.create(team=team, gpus_total=4)
    deployment = converge(make_deployment(), is_available, what="Available")
    quota = cluster.get("ResourceQuota", "gantry-quota", deployment.namespace)
    quota["spec"]["hard"] = {"requests.nvidia.com/gpu": "400"}
    cluster.apply(
        {k: quota[k] for k in ("apiVersion", "kind", "spec")}
        | {"metadata": {"name": "gantry-quota", "namespace": deployment.namespace}},
        force=True,
    )

    plan = sweep(cluster_record)

    assert plan.namespaces == {(deployment.environment_id, team.pk)}
    hard = cluster.get("ResourceQuota", "gantry-quota", deployment.namespace)["spec"]["hard"]
    assert hard == {"requests.nvidia.com/gpu": "4"}


def test_an_environment_restricting_egress_and_opening_it_again_reaches_the_fence(
    make_deployment, environment, team, cluster_record, cluster
):
    deployment = make_deployment()
    run(deployment)

    environment.restrict_egress = True
    environment.egress_cidrs = "10.20.0.0/16"
    environment.save()
    plan = sweep(cluster_record)

    assert plan.namespaces == {(environment.pk, team.pk)}
    fence = cluster.get("NetworkPolicy", "gantry-model-servers", deployment.namespace)
    assert fence["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert fence["spec"]["egress"][-1] == {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]}

    environment.restrict_egress = False
    environment.egress_cidrs = ""
    environment.save()
    sweep(cluster_record)

    fence = cluster.get("NetworkPolicy", "gantry-model-servers", deployment.namespace)
    assert fence["spec"]["policyTypes"] == ["Ingress"]
    assert "egress" not in fence["spec"], "the egress rules outlived the restriction"


def test_a_status_change_is_looked_at_without_a_write(
    make_deployment, cluster_record, cluster, kube_cluster
):
    deployment = make_deployment(min_replicas=1, max_replicas=4, autoscaling_target=80)
    converge(deployment, is_available, what="Available")
    sweep(cluster_record)
    kubectl(
        kube_cluster.kubeconfig, "-n", deployment.namespace, "scale", "deployment/chat",
        "--replicas=3",
    )  # fmt: skip

    plan = resync.resync_cluster(cluster_record)

    assert (plan.observe, plan.reconcile) == ({deployment.pk}, set()), plan.reasons


def test_a_spec_change_whose_message_was_lost_is_applied(available, cluster_record, deployer):
    services.scale(available, actor=deployer, replicas=3)  # its message never reaches a worker

    plan = sweep(cluster_record)

    assert plan.reasons[available.pk] == "generation 2 not applied"
    assert run(available).observed_generation == 2
