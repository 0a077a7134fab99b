"""`helm install` into the local cluster: every object accepted, the migration hook first,
every pod Ready (KWOK stands in for the kubelets, so no image is pulled), in a namespace
that enforces the restricted Pod Security Standard."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.packaging.conftest import CHART, SECRET, kubectl, run

pytestmark = pytest.mark.cluster


@pytest.fixture
def release_namespace(kube_cluster):
    name = f"gantry-helm-{uuid.uuid4().hex[:6]}"
    admin = kube_cluster.kubeconfig
    kubectl(admin, "create", "namespace", name)
    kubectl(admin, "label", "namespace", name, "pod-security.kubernetes.io/enforce=restricted")
    kubectl(
        admin, "-n", name, "create", "secret", "generic", SECRET,
        "--from-literal=SECRET_KEY=" + "s" * 60,
        "--from-literal=DATABASE_URL=postgres://gantry:pw@db:5432/gantry",
        "--from-literal=REDIS_URL=redis://redis:6379/0",
    )  # fmt: skip
    yield name
    kubectl(admin, "delete", "namespace", name, "--wait=false")


def test_helm_install_runs_the_hook_first_and_every_pod_becomes_ready(
    kube_cluster, helm_bin, release_namespace
):
    admin, ns = kube_cluster.kubeconfig, release_namespace
    release = f"g{uuid.uuid4().hex[:6]}"
    try:
        run(
            helm_bin, "install", release, CHART, "--kubeconfig", admin, "--namespace", ns,
            "--set", f"existingSecret={SECRET}", "--set", "image.repository=gantry.test/gantry",
            "--set", "worker.replicas=2", "--wait", "--timeout", "5m",
            # The local cluster has the PriorityClasses already (up.sh), as a platform may.
            "--set", "priorityClasses.create=false",
            timeout=400,
        )  # fmt: skip
        job = json.loads(
            kubectl(admin, "-n", ns, "get", "job", f"{release}-gantry-migrate", "-o", "json")
        )
        assert job["status"].get("succeeded") == 1, job["status"]
        deployments = json.loads(kubectl(admin, "-n", ns, "get", "deployments", "-o", "json"))
        assert {d["metadata"]["name"] for d in deployments["items"]} == {
            f"{release}-gantry-{c}" for c in ("web", "worker", "beat", "watcher")
        }
        finished = job["status"]["completionTime"]
        for d in deployments["items"]:
            assert d["metadata"]["creationTimestamp"] >= finished, (
                f"{d['metadata']['name']} was created before the migration Job finished"
            )
            assert d["status"].get("readyReplicas") == d["spec"]["replicas"], d["status"]
        pods = json.loads(kubectl(admin, "-n", ns, "get", "pods", "-o", "json"))["items"]
        running = [p for p in pods if "migrate" not in p["metadata"]["name"]]
        assert len(running) == 2 + 2 + 1 + 2  # web, worker, beat, watcher (a leader, a standby)
        for pod in running:
            ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
            assert ready["Ready"] == "True", pod["metadata"]["name"]
    finally:
        run(helm_bin, "uninstall", release, "--kubeconfig", admin, "--namespace", ns, check=False)
