"""Pod failures on demand: the image tag tells KWOK what the "kubelet" reports.

These are what Gantry's reconciler and UI must surface (scripts/cluster/kwok-stages.yaml).
"""

from __future__ import annotations

import time

import pytest
from kubernetes import client

from tests.localcluster.helpers import condition, pod, wait_for

pytestmark = pytest.mark.cluster


def _status(core: client.CoreV1Api, namespace: str) -> client.V1ContainerStatus | None:
    p = core.read_namespaced_pod("server", namespace)
    return (p.status.container_statuses or [None])[0]


def test_plain_image_runs_and_becomes_ready(core: client.CoreV1Api, kube_namespace: str) -> None:
    core.create_namespaced_pod(kube_namespace, pod("server", image="gantry/model:v1"))

    ready = wait_for(
        lambda: core.read_namespaced_pod("server", kube_namespace),
        lambda p: getattr(condition(p, "Ready"), "status", None) == "True",
        what="the pod to become Ready",
    )
    assert ready.status.phase == "Running"
    assert ready.status.container_statuses[0].state.running is not None


def test_pull_error_tag_shows_image_pull_backoff(
    core: client.CoreV1Api, kube_namespace: str
) -> None:
    core.create_namespaced_pod(kube_namespace, pod("server", image="gantry/model:pull-error"))

    status = wait_for(
        lambda: _status(core, kube_namespace),
        lambda s: s is not None and s.state.waiting is not None,
        what="the container to be waiting",
    )
    assert status.state.waiting.reason == "ImagePullBackOff", status.state
    assert core.read_namespaced_pod("server", kube_namespace).status.phase == "Pending"


def test_crash_loop_tag_shows_crash_loop_backoff_with_rising_restarts(
    core: client.CoreV1Api, kube_namespace: str
) -> None:
    core.create_namespaced_pod(kube_namespace, pod("server", image="gantry/model:crash-loop"))

    first = wait_for(
        lambda: _status(core, kube_namespace),
        lambda s: s is not None and s.state.waiting is not None,
        what="the container to be waiting",
    )
    assert first.state.waiting.reason == "CrashLoopBackOff", first.state
    later = wait_for(
        lambda: _status(core, kube_namespace),
        lambda s: s.restart_count > first.restart_count,
        what=f"the restart count to rise above {first.restart_count}",
        timeout=30,
    )
    assert later.last_state.terminated.reason == "Error", later.last_state


def test_oom_tag_shows_last_state_oom_killed(core: client.CoreV1Api, kube_namespace: str) -> None:
    core.create_namespaced_pod(kube_namespace, pod("server", image="gantry/model:oom"))

    status = wait_for(
        lambda: _status(core, kube_namespace),
        lambda s: s is not None and s.last_state.terminated is not None,
        what="the container to have a terminated last state",
    )
    assert status.last_state.terminated.reason == "OOMKilled", status.last_state
    assert status.last_state.terminated.exit_code == 137
    assert status.restart_count >= 1


def test_never_ready_tag_runs_but_never_becomes_ready(
    core: client.CoreV1Api, kube_namespace: str
) -> None:
    core.create_namespaced_pod(kube_namespace, pod("server", image="gantry/model:never-ready"))

    running = wait_for(
        lambda: core.read_namespaced_pod("server", kube_namespace),
        lambda p: p.status.phase == "Running",
        what="the pod to be Running",
    )
    assert running.status.container_statuses[0].state.running is not None
    # bounded look: it stays unready (a ready pod would flip within a second)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        p = core.read_namespaced_pod("server", kube_namespace)
        ready = condition(p, "Ready")
        assert ready is not None, "the pod has no Ready condition"
        assert ready.status == "False", f"pod became ready: {ready}"
        assert not p.status.container_statuses[0].ready
        time.sleep(0.5)


def test_failures_are_reported_as_warning_events(
    core: client.CoreV1Api, kube_namespace: str
) -> None:
    core.create_namespaced_pod(kube_namespace, pod("server", image="gantry/model:pull-error"))

    events = wait_for(
        lambda: (
            core.list_namespaced_event(
                kube_namespace, field_selector="involvedObject.name=server,type=Warning"
            ).items
        ),
        bool,
        what="a Warning event about the pod",
    )
    assert "ImagePullBackOff" in (events[0].message or ""), events[0]
