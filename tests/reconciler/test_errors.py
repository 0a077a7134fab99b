"""Errors reach the record: refused specs, other declarative owners, unreachable clusters."""

import json
import re
import socket
import uuid
from pathlib import Path

import pytest

from apps.clusters import kube
from apps.deployments import reconciler, resync, services
from apps.deployments.choices import ConditionType
from tests import factories
from tests.reconciler.conftest import condition, converge, is_available, kubectl, run

pytestmark = pytest.mark.cluster


def test_a_spec_the_api_refuses_is_degraded_with_its_message_and_not_retried(
    make_deployment, cluster_record
):
    deployment = make_deployment(
        min_replicas=1,
        max_replicas=3,
        autoscaling_metric="custom",
        autoscaling_metric_name="requests/second",  # '/' is not allowed in a metric name
        autoscaling_target=10,
    )

    record = run(deployment)

    synced = condition(record, ConditionType.SYNCED)
    assert (synced["status"], synced["reason"]) == ("False", "Invalid")
    assert "requests/second" in synced["message"], synced["message"]
    assert condition(record, ConditionType.DEGRADED)["reason"] == "Invalid"
    assert record.observed_generation == 0
    assert deployment.pk not in resync.resync_cluster(cluster_record).reconcile


def test_a_new_spec_after_a_refusal_is_tried_again(make_deployment, deployer):
    deployment = make_deployment(
        min_replicas=1,
        max_replicas=3,
        autoscaling_metric="custom",
        autoscaling_metric_name="requests/second",
        autoscaling_target=10,
    )
    run(deployment)

    services.update_deployment(deployment, actor=deployer, autoscaling_metric_name="rps")
    record = converge(deployment, is_available, what="Available after the fix")

    assert condition(record, ConditionType.SYNCED)["reason"] == "Applied"


def test_a_field_another_applier_owns_is_a_conflict_not_an_overwrite(
    make_deployment, kube_cluster, cluster, tmp_path
):
    deployment = converge(make_deployment(), is_available, what="Available")
    live = cluster.get("Deployment", "chat", deployment.namespace)
    theirs = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "chat", "namespace": deployment.namespace},
        "spec": {
            "selector": live["spec"]["selector"],
            "template": {
                "metadata": {"labels": live["spec"]["template"]["metadata"]["labels"]},
                "spec": {"containers": [{"name": "server", "image": "argo.example.com/llm:9"}]},
            },
        },
    }
    manifest = tmp_path / "theirs.json"
    manifest.write_text(json.dumps(theirs))
    kubectl(
        kube_cluster.kubeconfig, "apply", "--server-side", "--force-conflicts",
        "--field-manager=argocd-controller", "-f", str(manifest),
    )  # fmt: skip

    record = run(deployment)

    synced = condition(record, ConditionType.SYNCED)
    assert (synced["status"], synced["reason"]) == ("False", "FieldConflict")
    assert "argocd-controller also applies" in synced["message"], synced["message"]
    image = cluster.get("Deployment", "chat", deployment.namespace)["spec"]["template"]["spec"][
        "containers"
    ][0]["image"]
    assert image == "argo.example.com/llm:9"


@pytest.fixture
def gone_environment(team, kube_cluster, tmp_path):
    """An environment on a cluster whose API server nobody answers for."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    text = Path(kube_cluster.kubeconfig).read_text()
    path = tmp_path / "gone.kubeconfig"
    path.write_text(re.sub(r"https://127\.0\.0\.1:\d+", f"https://127.0.0.1:{port}", text))
    gone = factories.ClusterFactory(name="gone", kubeconfig_path=str(path))
    environment = factories.EnvironmentFactory(
        name="far", namespace=f"g{uuid.uuid4().hex[:8]}", cluster=gone
    )
    environment.teams.add(team)
    return environment


def test_an_unreachable_cluster_marks_its_deployments_and_the_others_carry_on(
    make_deployment, gone_environment, cluster_record
):
    here = make_deployment("here")
    there = make_deployment("there", environment=gone_environment)

    plans = {plan.cluster: plan for plan in resync.resync_all()}

    assert plans["gone"].unreachable
    assert plans["local"].reconcile == {here.pk}
    there.refresh_from_db()
    synced = condition(there, ConditionType.SYNCED)
    assert (synced["status"], synced["reason"]) == ("False", "ClusterUnreachable")
    assert "Cannot reach cluster 'gone'" in synced["message"], synced["message"]
    assert condition(there, ConditionType.AVAILABLE)["status"] == "Unknown"


def test_a_reconcile_on_an_unreachable_cluster_keeps_the_record_and_asks_for_a_retry(
    make_deployment, gone_environment
):
    there = make_deployment("there", environment=gone_environment)

    with pytest.raises(kube.ClusterUnreachable):
        reconciler.reconcile(there.pk)

    there.refresh_from_db()
    assert (there.generation, there.observed_generation) == (1, 0)
    assert condition(there, ConditionType.SYNCED)["reason"] == "ClusterUnreachable"
