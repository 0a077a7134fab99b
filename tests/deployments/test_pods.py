"""pods: a pod as the API server serves it, as plain dicts, to the row people read,
and whether a container has the log that is asked for."""

from typing import Any

import pytest

from apps.clusters.kube import LogQuery
from apps.deployments import pods

PULL_MESSAGE = 'Back-off pulling image "registry.example.com/llm/server:pull-error"'


def pod(
    *,
    name: str = "chat-6d9f-abcde",
    track: str = "stable",
    phase: str = "Running",
    ready: bool = True,
    state: dict[str, Any] | None = None,
    last: dict[str, Any] | None = None,
    restarts: int = 0,
    node: str = "gantry-gpu-h100-1",
    conditions: tuple[dict[str, Any], ...] = (),
    statuses: bool = True,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "phase": phase,
        "startTime": "2026-05-01T12:00:00Z",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}, *conditions],
    }
    if statuses:
        status["containerStatuses"] = [
            {
                "name": "server",
                "restartCount": restarts,
                "state": state or {"running": {"startedAt": "2026-05-01T12:00:05Z"}},
                "lastState": {"terminated": last} if last else {},
            }
        ]
    return {
        "metadata": {
            "name": name,
            "labels": {
                "gantry.dev/deployment-id": "7",
                "gantry.dev/installation": "default",
                "gantry.dev/track": track,
                "gantry.dev/template-hash": "f00d",
                "app.kubernetes.io/version": "v1",
            },
        },
        "spec": {"nodeName": node, "containers": [{"name": "server"}]},
        "status": status,
    }


H100 = {"gantry-gpu-h100-1": "NVIDIA-H100-80GB-HBM3"}
CRASHED = {"reason": "Error", "exitCode": 1, "finishedAt": "2026-05-01T12:01:00Z"}


def test_a_serving_pod_shows_its_track_version_node_and_gpu():
    row = pods.pod_row(pod(), H100)

    assert (row.name, row.track, row.version, row.template_hash) == (
        "chat-6d9f-abcde",
        "stable",
        "v1",
        "f00d",
    )
    assert (row.phase, row.ready, row.restarts, row.reason) == ("Running", True, 0, "")
    assert (row.node, row.gpu_product) == ("gantry-gpu-h100-1", "NVIDIA-H100-80GB-HBM3")
    assert row.started_at == "2026-05-01T12:00:00Z"
    assert row.last_termination is None
    assert row.containers == ["server"]


def test_a_crash_loop_shows_the_waiting_reason_and_the_last_exit():
    crashing = pod(
        ready=False,
        restarts=4,
        state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
        last=CRASHED,
    )

    row = pods.pod_row(crashing, H100)

    assert (row.reason, row.message, row.restarts) == ("CrashLoopBackOff", "back-off 40s", 4)
    assert row.last_termination == pods.Termination("Error", 1, "2026-05-01T12:01:00Z")


def test_an_unschedulable_pod_shows_the_schedulers_message():
    pending = pod(
        phase="Pending",
        ready=False,
        node="",
        statuses=False,
        conditions=(
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/5 nodes are available: 5 Insufficient nvidia.com/gpu.",
            },
        ),
    )

    row = pods.pod_row(pending, H100)

    assert row.reason == "Unschedulable"
    assert row.message == "0/5 nodes are available: 5 Insufficient nvidia.com/gpu."
    assert (row.node, row.gpu_product) == ("", "")


def test_a_running_pod_that_is_not_ready_says_so_from_its_ready_condition():
    unready = pod(ready=False)
    unready["status"]["conditions"][0].update(
        reason="ContainersNotReady", message="containers with unready status: [server]"
    )

    assert pods.current_reason(unready) == (
        "ContainersNotReady",
        "containers with unready status: [server]",
    )


def test_a_node_without_the_gpu_label_has_no_gpu_product():
    assert pods.gpu_product({"metadata": {"labels": {"gantry.dev/pool": "cpu"}}}) == ""
    assert pods.gpu_product(None) == ""


def test_rows_list_stable_before_canary_then_by_name():
    rows = [
        pods.pod_row(pod(name="b-canary", track="canary"), {}),
        pods.pod_row(pod(name="z-stable"), {}),
        pods.pod_row(pod(name="a-stable"), {}),
    ]

    assert [r.name for r in pods.sort_rows(rows)] == ["a-stable", "z-stable", "b-canary"]


def test_a_pod_belongs_only_to_the_deployment_and_installation_on_its_labels():
    assert pods.belongs_to(pod(), 7, "default")
    assert not pods.belongs_to(pod(), 8, "default")
    assert not pods.belongs_to(pod(), 7, "other-installation")
    assert not pods.belongs_to({"metadata": {"name": "kube-proxy"}}, 7, "default")


@pytest.mark.parametrize(
    "name",
    ["", "Chat", "chat_1", "-chat", "chat-", "../etc", "chat/logs", "a" * 254, "chat pod"],
)
def test_names_that_are_not_dns_1123_are_not_pod_names(name):
    assert not pods.is_pod_name(name)


def test_a_pod_name_may_have_dots_and_dashes():
    assert pods.is_pod_name("chat-6d9f.abcde")


def test_a_container_waiting_for_its_image_has_no_log_and_says_why():
    waiting = pod(
        phase="Pending",
        ready=False,
        state={"waiting": {"reason": "ImagePullBackOff", "message": PULL_MESSAGE}},
    )

    refusal = pods.log_refusal(waiting, "server", previous=False)

    assert refusal == f"the container has not started: ImagePullBackOff — {PULL_MESSAGE}"


def test_a_container_without_a_status_yet_has_not_started():
    assert pods.log_refusal(pod(statuses=False), "server", previous=False).startswith(
        "the container has not started"
    )


def test_the_previous_log_needs_a_restart():
    assert "has not restarted" in pods.log_refusal(pod(), "server", previous=True)
    assert pods.log_refusal(pod(last=CRASHED, restarts=1), "server", previous=True) == ""


def test_a_running_container_has_a_log():
    assert pods.log_refusal(pod(), "server", previous=False) == ""


def test_the_log_is_of_the_model_server_unless_another_container_is_named():
    two = pod()
    two["spec"]["initContainers"] = [{"name": "storage-initializer"}]

    assert pods.container_of(two, "") == "server"
    assert pods.container_of(two, "storage-initializer") == "storage-initializer"
    assert pods.container_of(two, "sidecar") == ""


def test_a_log_query_never_asks_for_more_than_the_bounds():
    params = dict(LogQuery(tail_lines=5000, max_lines=1000, max_bytes=4096).params())

    assert params == {"tailLines": "1000", "limitBytes": "4096"}


def test_a_log_query_passes_its_options_as_the_api_names_them():
    query = LogQuery(container="server", previous=True, tail_lines=10, since_seconds=600)

    assert dict(query.params()) == {
        "tailLines": "10",
        "limitBytes": str(256 * 1024),
        "container": "server",
        "previous": "true",
        "sinceSeconds": "600",
    }
