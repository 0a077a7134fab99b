"""A deployment's pods as people read them, and whether a container has a log to show.

Pure: pod and node dicts as the API server serves them in, plain data out. The
API (`pods_api`) and, later, the pages show these rows; `podlogs` reads the logs.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from apps.deployments import manifests

# A pod's name is a DNS-1123 subdomain: lowercase alphanumerics, '-' and '.', at most
# 253 characters, starting and ending alphanumeric.
POD_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
CONTAINER_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class Termination:
    """How a container's previous instance ended."""

    reason: str
    exit_code: int | None
    finished_at: str | None


@dataclass(frozen=True)
class PodRow:
    """One pod of a deployment, as the pods endpoint lists it."""

    name: str
    track: str
    version: str
    template_hash: str
    phase: str
    ready: bool
    restarts: int
    reason: str
    message: str
    last_termination: Termination | None
    node: str
    gpu_product: str
    started_at: str | None
    containers: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_pod_name(name: str) -> bool:
    return len(name) <= 253 and POD_NAME.fullmatch(name) is not None


def is_container_name(name: str) -> bool:
    return CONTAINER_NAME.fullmatch(name) is not None


def belongs_to(pod: dict[str, Any], deployment_id: int, installation: str) -> bool:
    """Whether `pod` carries the labels of that deployment of this installation."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return (
        labels.get(manifests.DEPLOYMENT_ID) == str(deployment_id)
        and labels.get(manifests.INSTALLATION) == installation
    )


def _condition(pod: dict[str, Any], type_: str) -> dict[str, Any]:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return cond
    return {}


def container_statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    """Init containers' statuses first (they run first), then the containers'."""
    status = pod.get("status") or {}
    return [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]


def _main_status(pod: dict[str, Any]) -> dict[str, Any]:
    """The model server's status, or the first container's when it has another name."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    for cs in statuses:
        if cs.get("name") == manifests.CONTAINER:
            return cs
    return statuses[0] if statuses else {}


def current_reason(pod: dict[str, Any]) -> tuple[str, str]:
    """Why the pod is not simply serving, as (reason, message); ("", "") when it is.

    In the order a person would look: the scheduler, the pod itself (evicted), a
    container that waits or has ended (init containers first), then readiness.
    """
    scheduled = _condition(pod, "PodScheduled")
    if scheduled.get("status") == "False":
        return scheduled.get("reason") or "Unschedulable", scheduled.get("message", "")
    status = pod.get("status") or {}
    if status.get("reason"):
        return status["reason"], status.get("message", "")
    for cs in container_statuses(pod):
        state = cs.get("state") or {}
        waiting = state.get("waiting") or {}
        if waiting.get("reason"):
            return waiting["reason"], waiting.get("message", "")
        terminated = state.get("terminated") or {}
        if terminated.get("reason") and terminated.get("exitCode", 0) != 0:
            return terminated["reason"], terminated.get("message", "")
    ready = _condition(pod, "Ready")
    if status.get("phase") == "Running" and ready.get("status") != "True":
        return ready.get("reason") or "NotReady", ready.get("message", "")
    return "", ""


def last_termination(cs: dict[str, Any]) -> Termination | None:
    """How the container's previous instance ended, or None if it has not restarted."""
    last = (cs.get("lastState") or {}).get("terminated")
    if not last:
        return None
    return Termination(
        reason=last.get("reason", ""),
        exit_code=last.get("exitCode"),
        finished_at=last.get("finishedAt"),
    )


def pod_row(pod: dict[str, Any], gpu_products: dict[str, str]) -> PodRow:
    """The row of one pod; `gpu_products` maps node names to their GPU product label."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    main = _main_status(pod)
    reason, message = current_reason(pod)
    node = spec.get("nodeName", "")
    return PodRow(
        name=meta.get("name", ""),
        track=labels.get(manifests.TRACK, ""),
        version=labels.get(manifests.VERSION, ""),
        template_hash=labels.get(manifests.TEMPLATE_HASH, ""),
        phase=status.get("phase", ""),
        ready=_condition(pod, "Ready").get("status") == "True",
        restarts=sum(cs.get("restartCount", 0) for cs in container_statuses(pod)),
        reason=reason,
        message=message,
        last_termination=last_termination(main),
        node=node,
        gpu_product=gpu_products.get(node, ""),
        started_at=status.get("startTime"),
        containers=[c.get("name", "") for c in spec.get("containers") or []],
    )


def gpu_product(node: dict[str, Any] | None) -> str:
    labels = ((node or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(manifests.GPU_PRODUCT_LABEL, "")


def sort_rows(rows: list[PodRow]) -> list[PodRow]:
    """Stable before canary, then by name: the order is the same on every poll."""
    return sorted(rows, key=lambda r: (r.track != manifests.STABLE, r.name))


def container_of(pod: dict[str, Any], container: str) -> str:
    """The container whose log is asked for: the named one, else the model server's."""
    names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    names += [c.get("name", "") for c in (pod.get("spec") or {}).get("initContainers") or []]
    if container:
        return container if container in names else ""
    return manifests.CONTAINER if manifests.CONTAINER in names else (names[0] if names else "")


def log_refusal(pod: dict[str, Any], container: str, previous: bool) -> str:
    """Why the container has no such log to show, in a sentence; "" when it has one.

    A container that never ran has no log; its waiting reason says what keeps it
    (`ImagePullBackOff — Back-off pulling image "…"`). The previous log exists only
    once the container has terminated at least once.
    """
    cs = next((c for c in container_statuses(pod) if c.get("name") == container), None)
    if cs is None:
        reason, message = current_reason(pod)
        state = f"{reason} — {message}" if message else reason or "Pending"
        return f"the container has not started: {state}"
    state = cs.get("state") or {}
    ran = bool(state.get("running") or state.get("terminated") or cs.get("lastState"))
    if previous:
        if last_termination(cs) is None:
            return (
                f"container {container} has not restarted, so it has no previous log; "
                "leave out previous to read the current one"
            )
        return ""
    if not ran:
        waiting = state.get("waiting") or {}
        reason = waiting.get("reason") or "Waiting"
        message = waiting.get("message", "")
        return f"the container has not started: {reason}" + (f" — {message}" if message else "")
    return ""


def _owned_name(deployment_name: str) -> re.Pattern[str]:
    """The names the deployment's Deployments, ReplicaSets and pods can have."""
    base = re.escape(deployment_name)
    return re.compile(rf"{base}(-canary)?(-[a-z0-9]{{6,10}}(-[a-z0-9]{{5}})?)?")


def event_rows(events: list[dict[str, Any]], deployment_name: str) -> list[dict[str, Any]]:
    """Kubernetes events about the deployment's Deployments, ReplicaSets and pods, as
    timeline rows (scheduler, kubelet, controllers), newest first."""
    owned = _owned_name(deployment_name)
    kinds = {"Pod", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler"}
    rows = []
    for event in events:
        involved = event.get("involvedObject") or {}
        name = involved.get("name", "")
        if involved.get("kind") not in kinds or not owned.fullmatch(name):
            continue
        source = event.get("source") or {}
        when = (
            event.get("lastTimestamp")
            or event.get("eventTime")
            or (event.get("metadata") or {}).get("creationTimestamp")
        )
        rows.append(
            {
                "when": when,
                "type": event.get("type", ""),
                "reason": event.get("reason", ""),
                "message": event.get("message", ""),
                "object": f"{involved.get('kind')}/{name}",
                "component": source.get("component") or event.get("reportingComponent", ""),
                "count": event.get("count") or 1,
            }
        )
    return sorted(rows, key=lambda r: r["when"] or "", reverse=True)
