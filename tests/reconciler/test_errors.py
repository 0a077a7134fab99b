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
def gone_environment(team, kube_cluster, kubeconfig_dir):
    """An environment on a cluster whose API server nobody answers for."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    text = Path(kube_cluster.kubeconfig).read_text()
    path = kubeconfig_dir / "gone.kubeconfig"
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


def a_bad_kubeconfig(directory: Path, kind: str) -> str:
    if kind == "outside the kubeconfig directories":
        return "/etc/passwd"
    path = directory / "broken.kubeconfig"
    if kind == "a directory":
        path.mkdir()
    elif kind == "a password file":
        path.write_text("root:x:0:0:root:/root:/bin/bash\n")
    else:
        path.write_text("{{{ : not ]] yaml\n\t- [")
    return str(path)


@pytest.mark.parametrize(
    "kind",
    ["a directory", "a password file", "YAML garbage", "outside the kubeconfig directories"],
)
def test_a_cluster_with_a_bad_kubeconfig_is_marked_and_the_others_are_swept(
    make_deployment, cluster_record, team, kubeconfig_dir, kind
):
    path = a_bad_kubeconfig(kubeconfig_dir, kind)
    # Named to come first in the sweep, so that a crash would leave "local" unswept.
    broken = factories.ClusterFactory(name="a-broken", kubeconfig_path=path)
    far = factories.EnvironmentFactory(
        name="far", namespace=f"b{uuid.uuid4().hex[:8]}", cluster=broken
    )
    far.teams.add(team)
    here = make_deployment("here")
    there = make_deployment("there", environment=far)

    plans = {plan.cluster: plan for plan in resync.resync_all()}

    assert plans["a-broken"].unreachable
    assert plans["local"].reconcile == {here.pk}
    there.refresh_from_db()
    synced = condition(there, ConditionType.SYNCED)
    assert (synced["status"], synced["reason"]) == ("False", "ClusterUnreachable")
    assert synced["message"].startswith("The kubeconfig of cluster 'a-broken' is "), synced
    assert "root" not in synced["message"]
    assert path not in synced["message"]


def test_a_cluster_that_refuses_gantrys_credentials_does_not_stop_the_sweep(
    make_deployment, cluster_record, team, kube_cluster, kubeconfig_dir
):
    # The local cluster's own kubeconfig, with a bearer token it never issued.
    text = Path(kube_cluster.kubeconfig).read_text()
    text = re.sub(r"(?m)^(\s+)client-key-data: .*$\n", "", text)
    text = re.sub(r"(?m)^(\s+)client-certificate-data: .*$", r"\1token: not-a-token-it-knows", text)
    assert "token: not-a-token-it-knows" in text, "the local kubeconfig changed its shape"
    path = kubeconfig_dir / "refused.kubeconfig"
    path.write_text(text)
    refusing = factories.ClusterFactory(name="a-refusing", kubeconfig_path=str(path))
    far = factories.EnvironmentFactory(
        name="far", namespace=f"r{uuid.uuid4().hex[:8]}", cluster=refusing
    )
    far.teams.add(team)
    here = make_deployment("here")
    make_deployment("there", environment=far)

    plans = {plan.cluster: plan for plan in resync.resync_all()}

    assert plans["local"].reconcile == {here.pk}
    assert plans["a-refusing"].reconcile == set()


def test_a_reconcile_on_an_unreachable_cluster_keeps_the_record_and_asks_for_a_retry(
    make_deployment, gone_environment
):
    there = make_deployment("there", environment=gone_environment)

    with pytest.raises(kube.ClusterUnreachable):
        reconciler.reconcile(there.pk)

    there.refresh_from_db()
    assert (there.generation, there.observed_generation) == (1, 0)
    assert condition(there, ConditionType.SYNCED)["reason"] == "ClusterUnreachable"
