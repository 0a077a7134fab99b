"""From what the cluster says (Deployment status, pods, their events) to conditions a
person can act on. Pure: plain dicts in, an `Observation` out.

Available means the spec you asked for is serving: every replica of the current
generation updated and available, for the stable version and the canary. So a
rollout in progress, or one that failed while the old pods still serve, is not
Available, and Degraded says why in the cluster's own words (the scheduler's
message, ImagePullBackOff, CrashLoopBackOff, OOMKilled, ProgressDeadlineExceeded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apps.deployments import manifests
from apps.deployments.choices import ConditionStatus, ConditionType, Reason, State
from apps.deployments.conditions import Status
from apps.deployments.drift import status_digest

# The kubelet's waiting reasons, grouped as Gantry reports them.
PULL_ERRORS = {"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"}
CONFIG_ERRORS = {"CreateContainerConfigError", "CreateContainerError", "RunContainerError"}
# How the kubelet says an envFrom/valueFrom reference names nothing.
MISSING_REFERENCE = re.compile(r'^(?P<kind>secret|configmap) "(?P<name>[^"]+)" not found$')
# Worst first: the reason shown when pods fail in different ways.
SEVERITY = [
    Reason.UNSCHEDULABLE,
    Reason.FAILED_CREATE,
    Reason.IMAGE_PULL_BACK_OFF,
    Reason.CREATE_CONTAINER_ERROR,
    Reason.OOM_KILLED,
    Reason.CRASH_LOOP_BACK_OFF,
    Reason.NOT_READY,
]
# Problems that are failures now; a pod that is merely not ready yet may still become so.
HARD_PROBLEMS = set(SEVERITY) - {Reason.NOT_READY}


@dataclass(frozen=True)
class Problem:
    reason: str
    message: str
    pod: str = ""


@dataclass
class TrackStatus:
    """One Kubernetes Deployment (stable or canary) as observed."""

    track: str
    name: str
    version: str
    desired: int = 0
    total: int = 0
    updated: int = 0
    ready: int = 0
    available: int = 0
    exists: bool = False
    current: bool = False  # the controller has seen the latest spec
    deadline_exceeded: bool = False
    deadline_message: str = ""
    replica_failure: str = ""

    @property
    def complete(self) -> bool:
        return (
            self.exists
            and self.current
            and self.updated == self.desired
            and self.available >= self.desired
            and self.total == self.desired
        )


@dataclass
class Observation:
    tracks: list[TrackStatus]
    conditions: dict[str, Status]
    problem: Problem | None = None
    digest: str = ""
    ready: int = 0
    updated: int = 0
    available: int = 0
    complete: bool = False
    deadline_exceeded: bool = False

    @property
    def settled(self) -> bool:
        """Nothing will change without a new spec or a change in the cluster."""
        return self.complete or self.deadline_exceeded


def _condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return cond
    return {}


def track_status(
    spec: manifests.DeploymentSpec, track: str, live: dict[str, Any] | None
) -> TrackStatus:
    version = spec.canary if track == manifests.CANARY and spec.canary else spec.stable
    name = spec.canary_name if track == manifests.CANARY else spec.name
    result = TrackStatus(track=track, name=name, version=version.version)
    if live is None:
        return result
    status = live.get("status") or {}
    progressing = _condition(live, "Progressing")
    failure = _condition(live, "ReplicaFailure")
    result.exists = True
    result.desired = (live.get("spec") or {}).get("replicas", 1)
    result.total = status.get("replicas", 0)
    result.updated = status.get("updatedReplicas", 0)
    result.ready = status.get("readyReplicas", 0)
    result.available = status.get("availableReplicas", 0)
    result.current = status.get("observedGeneration", 0) >= live["metadata"].get("generation", 1)
    result.deadline_exceeded = (
        result.current and progressing.get("reason") == Reason.PROGRESS_DEADLINE_EXCEEDED
    )
    result.deadline_message = progressing.get("message", "")
    if failure.get("status") == ConditionStatus.TRUE:
        result.replica_failure = failure.get("message", "")
    return result


def _limit(pod: dict[str, Any], container: str, resource: str) -> str:
    spec = pod.get("spec") or {}
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        if c.get("name") == container:
            return ((c.get("resources") or {}).get("limits") or {}).get(resource, "")
    return ""


def pod_problem(pod: dict[str, Any], warning: str = "") -> Problem | None:
    """What keeps one pod from serving, in words; None when nothing is wrong (yet)."""
    name = pod["metadata"]["name"]
    status = pod.get("status") or {}
    for cond in status.get("conditions") or []:
        if (
            cond.get("type") == "PodScheduled"
            and cond.get("status") == ConditionStatus.FALSE
            and cond.get("reason") == Reason.UNSCHEDULABLE
        ):
            return Problem(
                Reason.UNSCHEDULABLE, f"Pod {name} cannot be scheduled: {cond.get('message')}", name
            )
    # Init containers first: while one of them cannot start, the others wait behind it.
    for container_status in status.get("initContainerStatuses") or []:
        problem = _container_problem(pod, container_status, kind="Init container")
        if problem:
            return problem
    for container_status in status.get("containerStatuses") or []:
        problem = _container_problem(pod, container_status)
        if problem:
            return problem
    if (
        status.get("phase") == "Running"
        and _condition(pod, "Ready").get("status") != ConditionStatus.TRUE
    ):
        detail = warning or "its readiness probe has not passed yet"
        return Problem(Reason.NOT_READY, f"Pod {name} is running but not ready: {detail}", name)
    return None


def _container_problem(
    pod: dict[str, Any], cs: dict[str, Any], kind: str = "Container"
) -> Problem | None:
    """What the kubelet says keeps one container (or init container) from running, in words."""
    name = pod["metadata"]["name"]
    container = cs.get("name", "")
    waiting = (cs.get("state") or {}).get("waiting") or {}
    terminated = (cs.get("state") or {}).get("terminated") or {}
    last = (cs.get("lastState") or {}).get("terminated") or {}
    restarts = cs.get("restartCount", 0)
    reason = waiting.get("reason", "")
    if reason in PULL_ERRORS:
        return Problem(
            Reason.IMAGE_PULL_BACK_OFF,
            f"Cannot pull image {cs.get('image')} for pod {name}: "
            f"{waiting.get('message') or reason}",
            name,
        )
    if reason in CONFIG_ERRORS:
        # The kubelet's reason and words, e.g. 'CreateContainerConfigError: secret
        # "s3-creds" not found' for a storage Secret the namespace does not hold.
        detail = waiting.get("message") or "no message"
        return Problem(
            Reason.CREATE_CONTAINER_ERROR,
            f"{kind} {container} of pod {name} cannot start: {reason}: {detail}"
            f"{_missing_hint(detail, pod)}",
            name,
        )
    if Reason.OOM_KILLED in (last.get("reason"), terminated.get("reason")):
        limit = _limit(pod, container, "memory")
        return Problem(
            Reason.OOM_KILLED,
            f"Container {container} of pod {name} ran out of memory and was killed "
            f"(OOMKilled, exit code 137) with a memory limit of {limit or 'none'}; "
            f"it has restarted {_times(restarts)}. Give it more memory.",
            name,
        )
    if reason == Reason.CRASH_LOOP_BACK_OFF:
        code = last.get("exitCode")
        exited = f" with exit code {code} ({last.get('reason', 'Error')})" if code else ""
        return Problem(
            Reason.CRASH_LOOP_BACK_OFF,
            f"Container {container} of pod {name} keeps crashing: it exited{exited} and "
            f"has restarted {_times(restarts)}; see its logs.",
            name,
        )
    return None


def _missing_hint(message: str, pod: dict[str, Any]) -> str:
    """What to do about a Secret or ConfigMap the namespace lacks (the kubelet retries)."""
    match = MISSING_REFERENCE.match(message)
    if not match:
        return ""
    namespace = pod["metadata"].get("namespace", "")
    return (
        f". Create {match['kind']} '{match['name']}' in namespace {namespace}, or name "
        "one that exists in the environment's settings; the pod starts once it exists."
    )


def needs_pods(tracks: list[TrackStatus]) -> bool:
    """Pods are read only when the Deployments' counts say something is not right."""
    return not all(t.complete for t in tracks)


def observe(
    spec: manifests.DeploymentSpec,
    live: dict[str, dict[str, Any] | None],
    pods: list[dict[str, Any]] | None = None,
    warnings: dict[str, str] | None = None,
) -> Observation:
    """Conditions Available, Progressing and Degraded from the live objects of `spec`.

    `live` maps track ("stable", "canary") to the Kubernetes Deployment or None.
    """
    tracks_wanted = [manifests.STABLE] + ([manifests.CANARY] if spec.has_canary else [])
    tracks = [track_status(spec, t, live.get(t)) for t in tracks_wanted]
    present = [obj for obj in live.values() if obj is not None]
    obs = Observation(tracks=tracks, conditions={}, digest=status_digest(present))
    obs.ready = sum(t.ready for t in tracks)
    obs.updated = sum(t.updated for t in tracks)
    obs.available = sum(t.available for t in tracks)
    obs.complete = all(t.complete for t in tracks)
    obs.deadline_exceeded = any(t.deadline_exceeded for t in tracks)

    if spec.state == State.STOPPED:
        obs.conditions = _stopped(tracks)
        obs.complete = all(t.total == 0 for t in tracks)
        return obs

    obs.problem = _worst_problem(spec, tracks, pods or [], warnings or {})
    obs.conditions[ConditionType.AVAILABLE] = _available(spec, tracks, obs)
    obs.conditions[ConditionType.PROGRESSING] = _progressing(spec, tracks, obs)
    obs.conditions[ConditionType.DEGRADED] = _degraded(spec, tracks, obs)
    return obs


def _current_template_hashes(spec: manifests.DeploymentSpec) -> dict[str, str]:
    hashes = {}
    for track in (manifests.STABLE, manifests.CANARY):
        if track == manifests.CANARY and not spec.has_canary:
            continue
        labels = manifests.pod_template(spec, track)["metadata"]["labels"]
        hashes[track] = labels[manifests.TEMPLATE_HASH]
    return hashes


def _worst_problem(
    spec: manifests.DeploymentSpec,
    tracks: list[TrackStatus],
    pods: list[dict[str, Any]],
    warnings: dict[str, str],
) -> Problem | None:
    problems = []
    for t in tracks:
        if t.replica_failure:
            problems.append(
                Problem(
                    Reason.FAILED_CREATE, f"Pods of {t.name} cannot be created: {t.replica_failure}"
                )
            )
    hashes = _current_template_hashes(spec)
    for pod in pods:
        labels = pod["metadata"].get("labels") or {}
        # Pods of an older template are being replaced; only the current ones tell
        # whether the spec asked for can run.
        if hashes.get(labels.get(manifests.TRACK, "")) != labels.get(manifests.TEMPLATE_HASH):
            continue
        if pod["metadata"].get("deletionTimestamp"):
            continue
        problem = pod_problem(pod, warnings.get(pod["metadata"]["name"], ""))
        if problem:
            problems.append(problem)
    if not problems:
        return None
    worst = min(problems, key=lambda p: SEVERITY.index(p.reason))
    same = sum(1 for p in problems if p.reason == worst.reason)
    if same > 1:
        worst = Problem(worst.reason, f"{worst.message} ({same} pods alike)", worst.pod)
    return worst


def _times(n: int) -> str:
    return "1 time" if n == 1 else f"{n} times"


def _replicas_text(tracks: list[TrackStatus], *, rolling: bool = False) -> str:
    parts = []
    for t in tracks:
        label = "canary " if t.track == manifests.CANARY else ""
        if not rolling:
            parts.append(f"{t.available} of {t.desired} {label}replicas of {t.version} available")
            continue
        parts.append(_rollout_text(t, label))
    return "; ".join(parts)


def _rollout_text(t: TrackStatus, label: str) -> str:
    """One track mid-rollout, right at every stage of a scale up, down or new version."""
    previous = max(t.total - t.updated, 0)
    if t.updated > t.desired:
        # Scaling down: more pods of the current spec run than are asked for, until
        # the controller removes them (counting them as "updated" read "3 of 1").
        replicas = "replica" if t.desired == 1 else "replicas"
        text = (
            f"scaling down to {t.desired} {label}{replicas} of {t.version}, "
            f"{t.total - t.desired} more still running"
        )
        return text + (f" ({previous} of them the previous version)" if previous else "")
    text = (
        f"{t.updated} of {t.desired} {label}replicas updated to {t.version}, "
        f"{t.available} available"
    )
    if previous:
        text += f" ({previous} of the previous version still running)"
    return text


def _available(
    spec: manifests.DeploymentSpec, tracks: list[TrackStatus], obs: Observation
) -> Status:
    if obs.complete:
        return Status(
            ConditionStatus.TRUE, Reason.ALL_REPLICAS_READY, f"Serving: {_replicas_text(tracks)}."
        )
    if obs.deadline_exceeded:
        reason = Reason.PROGRESS_DEADLINE_EXCEEDED
    elif obs.problem and obs.problem.reason in HARD_PROBLEMS:
        reason = obs.problem.reason
    elif not all(t.exists for t in tracks):
        reason = Reason.CREATING
    else:
        reason = Reason.ROLLOUT_IN_PROGRESS
    message = (
        f"Not all of generation {spec.generation} is serving: "
        f"{_replicas_text(tracks, rolling=True)}."
    )
    if obs.problem:
        message += f" {obs.problem.message}"
    return Status(ConditionStatus.FALSE, reason, message)


def _progressing(
    spec: manifests.DeploymentSpec, tracks: list[TrackStatus], obs: Observation
) -> Status:
    if obs.deadline_exceeded:
        return Status(
            ConditionStatus.FALSE,
            Reason.PROGRESS_DEADLINE_EXCEEDED,
            f"The rollout made no progress for {spec.progress_deadline_seconds} s.",
        )
    if obs.complete:
        return Status(
            ConditionStatus.FALSE,
            Reason.ROLLOUT_COMPLETE,
            f"Generation {spec.generation} is rolled out.",
        )
    return Status(
        ConditionStatus.TRUE,
        Reason.ROLLOUT_IN_PROGRESS,
        f"Rolling out generation {spec.generation}: {_replicas_text(tracks, rolling=True)}.",
    )


def _degraded(
    spec: manifests.DeploymentSpec, tracks: list[TrackStatus], obs: Observation
) -> Status:
    if obs.deadline_exceeded:
        cause = (
            obs.problem.message
            if obs.problem
            else next((t.deadline_message for t in tracks if t.deadline_exceeded), "")
        )
        return Status(
            ConditionStatus.TRUE,
            Reason.PROGRESS_DEADLINE_EXCEEDED,
            f"The rollout of generation {spec.generation} made no progress for "
            f"{spec.progress_deadline_seconds} s: {cause}",
        )
    if obs.problem and obs.problem.reason in HARD_PROBLEMS:
        return Status(ConditionStatus.TRUE, obs.problem.reason, obs.problem.message)
    return Status(ConditionStatus.FALSE, Reason.AS_EXPECTED, "No problems found.")


def _stopped(tracks: list[TrackStatus]) -> dict[str, Status]:
    remaining = sum(t.total for t in tracks)
    progressing = (
        Status(
            ConditionStatus.TRUE,
            Reason.SCALING_DOWN,
            f"Stopping: {remaining} pods still shutting down.",
        )
        if remaining
        else Status(ConditionStatus.FALSE, Reason.STOPPED, "Stopped: no pods run.")
    )
    return {
        ConditionType.AVAILABLE: Status(
            ConditionStatus.FALSE, Reason.STOPPED, "Stopped on request; start it to serve again."
        ),
        ConditionType.PROGRESSING: progressing,
        ConditionType.DEGRADED: Status(
            ConditionStatus.FALSE, Reason.STOPPED, "Nothing runs, so nothing fails."
        ),
    }
