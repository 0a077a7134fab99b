"""The pods and logs endpoints against the local cluster: deployments made through the
services and reconciled for real; KWOK's simulated kubelets serve the logs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apps.deployments import services
from tests.fixtures.kube import component_stopped
from tests.localcluster.helpers import wait_for
from tests.reconciler.conftest import converge, is_available, is_degraded

pytestmark = pytest.mark.cluster

H100 = "NVIDIA-H100-80GB-HBM3"
HEALTH_503 = '"GET /health HTTP/1.1" 503 Service Unavailable'


@pytest.fixture(autouse=True)
def _uncached(settings):
    settings.GANTRY_PODS_CACHE_S = 0  # each poll asks the cluster; one test turns it on


@pytest.fixture
def reader(api, teammate):
    """A viewer of the team: the least role that reads pods and logs."""
    return api(teammate)


def pods_of(client, deployment) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/deployments/{deployment.pk}/pods/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def logs_of(client, deployment, pod: str, **params: Any):
    return client.get(f"/api/v1/deployments/{deployment.pk}/pods/{pod}/logs/", params)


def text(response) -> str:
    return response.content.decode()


def last_line(response) -> str:
    lines = text(response).rstrip().splitlines()
    return lines[-1] if lines else ""


def wait_for_pods(client, deployment, done, what: str) -> list[dict[str, Any]]:
    return wait_for(lambda: pods_of(client, deployment), done, what=what, interval=0.5)


@pytest.fixture
def serving(make_deployment):
    deployment = make_deployment(gpu_count=1, gpu_model=H100)
    return converge(deployment, is_available, what="Available")


def test_a_ready_deployments_pod_shows_its_node_and_gpu(reader, serving, model_version):
    (row,) = pods_of(reader, serving)

    assert (row["track"], row["version"], row["phase"], row["ready"]) == (
        "stable",
        model_version.version,
        "Running",
        True,
    )
    assert (row["node"], row["gpu_product"]) == ("gantry-gpu-h100-1", H100)
    assert (row["restarts"], row["reason"], row["last_termination"]) == (0, "", None)
    assert row["started_at"]
    assert row["containers"] == ["server"]


def test_a_ready_pods_log_is_plain_text_with_its_start_up(reader, serving, settings):
    # The start-up is 1,200 lines back (scripts/cluster/logs/model-server.log).
    settings.GANTRY_LOG_MAX_LINES = 2000
    (row,) = pods_of(reader, serving)

    response = logs_of(reader, serving, row["name"], tail=2000)

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "Loading model weights took" in text
    assert "Uvicorn running on http://0.0.0.0:8000" in text


def test_tail_gives_the_last_lines_and_by_default_the_last_thousand(reader, serving):
    (row,) = pods_of(reader, serving)

    five = logs_of(reader, serving, row["name"], tail=5).content.decode()
    default = logs_of(reader, serving, row["name"]).content.decode()

    assert len(five.splitlines()) == 5
    assert len(default.splitlines()) == 1000
    assert default.endswith(five)


def test_the_previous_log_of_a_container_that_never_restarted_is_a_conflict(reader, serving):
    (row,) = pods_of(reader, serving)

    response = logs_of(reader, serving, row["name"], previous="true")

    assert response.status_code == 409, response.content
    assert "has not restarted" in response.json()["detail"]


def test_a_crash_loop_shows_restarts_exit_code_and_the_traceback(
    reader, make_deployment, version, model_version
):
    deployment = make_deployment(version=version("crash-loop", model_version))
    converge(deployment, is_degraded("CrashLoopBackOff"), what="Degraded: CrashLoopBackOff")

    (row,) = wait_for_pods(
        reader, deployment, lambda rows: rows and rows[0]["restarts"] > 0, "a restart"
    )

    assert row["reason"] == "CrashLoopBackOff"
    assert (row["last_termination"]["reason"], row["last_termination"]["exit_code"]) == (
        "Error",
        1,
    )
    previous = logs_of(reader, deployment, row["name"], previous="true")
    assert previous.status_code == 200, previous.content
    assert "Traceback (most recent call last):" in previous.content.decode()
    assert "CUDA out of memory" in previous.content.decode()


def test_an_oom_shows_oom_killed_and_exit_137(reader, make_deployment, version, model_version):
    deployment = make_deployment(version=version("oom", model_version), memory="2Gi")
    converge(deployment, is_degraded("OOMKilled"), what="Degraded: OOMKilled")

    (row,) = wait_for_pods(
        reader, deployment, lambda rows: rows and rows[0]["last_termination"], "a termination"
    )

    assert (row["last_termination"]["reason"], row["last_termination"]["exit_code"]) == (
        "OOMKilled",
        137,
    )
    # until the local cluster's pod-logs has seen the pod, its log is the shared one
    previous = wait_for(
        lambda: logs_of(reader, deployment, row["name"], previous="true"),
        lambda response: response.status_code != 200 or "Killed" in last_line(response),
        what="the oom's own previous log",
    )
    assert previous.status_code == 200, previous.content
    assert re.search(r"\d+ Killed +python3 -m vllm", last_line(previous)), last_line(previous)


def test_a_never_ready_servers_log_shows_its_failing_health_checks(
    reader, make_deployment, version, model_version
):
    deployment = make_deployment(version=version("never-ready", model_version))
    converge(deployment, lambda record: True, what="applied")
    (row,) = wait_for_pods(
        reader, deployment, lambda rows: rows and rows[0]["phase"] == "Running", "Running"
    )

    response = wait_for(
        lambda: logs_of(reader, deployment, row["name"], tail=5),
        lambda response: response.status_code != 200 or HEALTH_503 in last_line(response),
        what="the never-ready server's own log",
    )

    assert response.status_code == 200, response.content
    assert row["ready"] is False
    lines = response.content.decode().splitlines()
    assert len(lines) == 5
    assert all(line.endswith(HEALTH_503) for line in lines)


def test_since_gives_only_the_lines_of_that_last_while(reader, serving, settings):
    settings.GANTRY_LOG_MAX_LINES = 2000
    (row,) = pods_of(reader, serving)
    # the start-up lines come first, in the pod's first 2.5 s (scripts/cluster/logs/)
    started = datetime.fromisoformat(row["started_at"].replace("Z", "+00:00"))
    wait_for(
        lambda: datetime.now(UTC) - started,
        lambda age: age > timedelta(seconds=5),
        what="the pod to be 5 s old",
    )
    hour = wait_for(
        lambda: logs_of(reader, serving, row["name"], since="1h", tail=2000),
        lambda response: response.status_code != 200 or "Loading model weights" in text(response),
        what="the pod's own log (the shared one is dated 2026-05-01)",
    )

    recent = logs_of(reader, serving, row["name"], since="2s", tail=2000)

    assert (hour.status_code, recent.status_code) == (200, 200), (hour.content, recent.content)
    assert "Loading model weights took" not in text(recent)
    assert text(recent)
    assert hour.content.endswith(recent.content)


def test_a_pull_error_shows_image_pull_backoff_and_its_log_is_a_conflict(
    reader, make_deployment, version, model_version
):
    deployment = make_deployment(version=version("pull-error", model_version))
    converge(deployment, is_degraded("ImagePullBackOff"), what="Degraded: ImagePullBackOff")
    (row,) = pods_of(reader, deployment)

    response = logs_of(reader, deployment, row["name"])

    assert row["reason"] == "ImagePullBackOff"
    assert response.status_code == 409, response.content
    detail = response.json()["detail"]
    assert "The container has not started: ImagePullBackOff — Back-off pulling image" in detail
    assert "registry.example.com/llm/server:pull-error" in detail


def test_a_canarys_pods_are_labelled_by_track(
    reader, deployer, make_deployment, version, model_version
):
    deployment = make_deployment(replicas=2)
    canary = version("v2.0", model_version)
    deployment = services.set_canary(deployment, actor=deployer, version=canary, weight=50)
    converge(deployment, is_available, what="Available with the canary")

    rows = pods_of(reader, deployment)

    assert [(r["track"], r["version"]) for r in rows] == [
        ("stable", model_version.version),
        ("canary", canary.version),
    ]


def test_the_pods_list_is_cached_for_a_few_seconds(reader, serving, cluster, settings):
    settings.GANTRY_PODS_CACHE_S = 600
    (first,) = pods_of(reader, serving)
    cluster.delete("Pod", first["name"], serving.namespace)

    assert pods_of(reader, serving) == [first]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"tail": "0"}, "tail"), ({"tail": "lots"}, "tail"), ({"tail": "5000"}, "tail"),
     ({"since": "yesterday"}, "since"), ({"since": "0"}, "since"),
     ({"container": "Not A Name"}, "container")],
)  # fmt: skip
def test_bad_query_values_are_400_per_field(reader, serving, params, field):
    response = logs_of(reader, serving, "any-pod", **params)

    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == [field]


def test_a_container_the_pod_does_not_have_is_400(reader, serving):
    (row,) = pods_of(reader, serving)

    response = logs_of(reader, serving, row["name"], container="sidecar")

    assert response.status_code == 400, response.content
    assert "its containers: server" in response.json()["fields"]["container"][0]


def foreign_pod(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            # The restricted Pod Security standard, which Gantry's namespaces enforce.
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 1000,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": "server",
                    "image": "gantry/other:v1",
                    "resources": {"limits": {"cpu": "100m", "memory": "128Mi"}},
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    }


def test_no_pod_but_the_deployments_own_is_reachable(
    reader, api, outsider, serving, cluster, kube_namespace, installation
):
    labels = {"gantry.dev/deployment-id": str(serving.pk), "gantry.dev/installation": installation}
    # Same namespace without its labels; another namespace with them.
    cluster.apply(foreign_pod("bystander", serving.namespace, {"app": "other"}))
    cluster.apply(foreign_pod("lookalike", kube_namespace, labels))
    (own,) = pods_of(reader, serving)

    for name in ("bystander", "lookalike", "no-such-pod", "Not_A_Pod", "a" * 300):
        response = logs_of(reader, serving, name)
        assert response.status_code == 404, (name, response.content)
        assert response.json()["error"] == "not_found"
    assert logs_of(api(outsider), serving, own["name"]).status_code == 404
    assert [row["name"] for row in pods_of(reader, serving)] == [own["name"]]


def test_a_stopped_cluster_is_503_naming_it(reader, serving):
    (row,) = pods_of(reader, serving)

    with component_stopped("kube-apiserver"):
        listed = reader.get(f"/api/v1/deployments/{serving.pk}/pods/")
        logged = logs_of(reader, serving, row["name"])

    for response in (listed, logged):
        assert response.status_code == 503, response.content
        assert response.json()["error"] == "cluster_unreachable"
        assert "Cluster 'local' cannot be reached" in response.json()["detail"]
