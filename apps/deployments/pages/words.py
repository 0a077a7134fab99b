"""The deployment page's sentences, from what the reconciler and the pods service record.

Pure: conditions (as stored on the record), pod rows (as `podlogs.list_pods`
returns them) and spec dicts (as a Revision keeps them) in; words out. The
header says *why* a deployment is not Available in one line a person can act
on, with a link to the log that explains it when there is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apps.deployments.choices import ConditionStatus, ConditionType, Reason, State

# Terminal control sequences (colours, cursor moves, OSC titles) that a log may carry.
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# Other C0 controls except tab and newline: they mean nothing on a page.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
SCHEDULER = re.compile(r"(\d+)/(\d+) nodes are available")
CRASH = re.compile(
    r"Container (?P<container>\S+) of pod (?P<pod>\S+) keeps crashing: it exited"
    r"(?: with exit code (?P<code>-?\d+))?.*?has restarted (?P<restarts>\d+) time"
)
OOM = re.compile(r"Container (?P<container>\S+) of pod (?P<pod>\S+) ran out of memory")
GPU_WORDS = ("nvidia.com/gpu", "nvidia.com/mig-")


@dataclass(frozen=True)
class LogLink:
    """Which log explains the reason: a pod's container, its current or previous instance."""

    pod: str
    container: str
    previous: bool


@dataclass(frozen=True)
class Headline:
    """The header's state badge, and when not Available, why, in words."""

    badge: str  # Available, Progressing, Degraded, Stopped, Deleting, Pending, Unknown
    tone: str  # ok, busy, bad, idle: the badge's colour
    words: str = ""
    log: LogLink | None = None
    log_label: str = ""


def _get(conditions: list[dict[str, Any]], type_: str) -> dict[str, Any]:
    return next((c for c in conditions if c.get("type") == type_), {})


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def headline(
    state: str,
    conditions: list[dict[str, Any]],
    pods: list[dict[str, Any]] | None = None,
    *,
    gpu_count: int = 0,
    gpu_resource: str = "nvidia.com/gpu",
) -> Headline:
    """The badge and the reason in plain words, worst problem first.

    `pods` may be None (the cluster could not be read): the words then come from
    the conditions alone, which name the pod and container the reconciler saw.
    """
    if state == State.DELETING:
        return Headline(
            "Deleting", "idle", "Removing its objects from the cluster, then the record."
        )
    available = _get(conditions, ConditionType.AVAILABLE)
    synced = _get(conditions, ConditionType.SYNCED)
    degraded = _get(conditions, ConditionType.DEGRADED)
    progressing = _get(conditions, ConditionType.PROGRESSING)
    if synced.get("status") == ConditionStatus.FALSE and synced.get("reason") != Reason.DELETING:
        label = (
            "Cluster unreachable" if synced.get("reason") == Reason.UNREACHABLE else "Not applied"
        )
        return Headline(
            "Unknown" if label == "Cluster unreachable" else "Degraded",
            "bad",
            f"{label}: {synced.get('message', '')}".strip(),
        )
    if state == State.STOPPED:
        words = progressing.get("message", "") if progressing.get("status") == "True" else ""
        return Headline("Stopped", "idle", words or "Stopped on request; start it to serve again.")
    if available.get("status") == ConditionStatus.TRUE:
        return Headline("Available", "ok")
    if degraded.get("status") == ConditionStatus.TRUE:
        return _degraded(degraded, pods, gpu_count, gpu_resource)
    if not available:
        return Headline("Pending", "busy", "Waiting for the first reconcile.")
    if available.get("status") == ConditionStatus.UNKNOWN:
        return Headline("Unknown", "bad", available.get("message", ""))
    text = progressing.get("message") or available.get("message", "")
    return Headline("Progressing", "busy", f"Rolling out: {_lower_first(text)}" if text else "")


def _lower_first(text: str) -> str:
    if text.startswith("Rolling out "):
        return text[len("Rolling out ") :]
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _degraded(
    condition: dict[str, Any], pods: list[dict[str, Any]] | None, gpu_count: int, resource: str
) -> Headline:
    reason, message = condition.get("reason", ""), condition.get("message", "")
    if reason == Reason.UNSCHEDULABLE:
        return Headline("Degraded", "bad", unschedulable_words(message, gpu_count, resource))
    if reason in (Reason.CRASH_LOOP_BACK_OFF, Reason.OOM_KILLED):
        return _crash(reason, message, pods)
    if reason == Reason.PROGRESS_DEADLINE_EXCEEDED:
        inner = _degraded_inner(message, pods, gpu_count, resource)
        if inner is not None:
            return inner
        return Headline("Degraded", "bad", f"Rollout stuck: {message}")
    labels = {
        Reason.IMAGE_PULL_BACK_OFF: "Image cannot be pulled",
        Reason.CREATE_CONTAINER_ERROR: "Container cannot start",
        Reason.FAILED_CREATE: "Pods cannot be created",
        Reason.NOT_READY: "Not ready",
    }
    label = labels.get(reason, reason or "Degraded")
    return Headline("Degraded", "bad", f"{label}: {message}")


def _degraded_inner(
    message: str, pods: list[dict[str, Any]] | None, gpu_count: int, resource: str
) -> Headline | None:
    # A stuck rollout's message ends with the problem that stuck it: name that instead.
    if "keeps crashing" in message:
        return _crash(Reason.CRASH_LOOP_BACK_OFF, message, pods, stuck=True)
    if "ran out of memory" in message:
        return _crash(Reason.OOM_KILLED, message, pods, stuck=True)
    if "cannot be scheduled" in message:
        words = unschedulable_words(message, gpu_count, resource)
        return Headline("Degraded", "bad", f"Rollout stuck. {words}")
    return None


def unschedulable_words(message: str, gpu_count: int, resource: str = "nvidia.com/gpu") -> str:
    """'Waiting for GPUs: 0 of 3 nodes have 8 free nvidia.com/gpu', from the scheduler's words."""
    nodes = SCHEDULER.search(message)
    if any(word in message for word in GPU_WORDS) and gpu_count:
        if nodes:
            fit, total = nodes.groups()
            return f"Waiting for GPUs: {fit} of {total} nodes have {gpu_count} free {resource}"
        return f"Waiting for GPUs: no node has {gpu_count} free {resource}"
    tail = message.split("cannot be scheduled: ", 1)[-1]
    return f"Cannot be scheduled: {tail}"


def _crash(
    reason: str, message: str, pods: list[dict[str, Any]] | None, stuck: bool = False
) -> Headline:
    row = next((p for p in pods or [] if p.get("reason") == reason and p.get("restarts")), None)
    if row is None:
        row = next((p for p in pods or [] if p.get("restarts")), None)
    pattern = CRASH if reason == Reason.CRASH_LOOP_BACK_OFF else OOM
    seen = pattern.search(message)
    if row is not None:
        pod = row["name"]
        container = (row.get("containers") or ["server"])[0]
        ended = row.get("last_termination") or {}
        code, restarts = ended.get("exit_code"), row.get("restarts", 0)
    elif seen is not None:
        pod, container = seen.group("pod"), seen.group("container")
        code = seen.groupdict().get("code")
        restarts = int(seen.groupdict().get("restarts") or 0)
    else:
        return Headline("Degraded", "bad", f"Crash loop: {message}")
    prefix = "Rollout stuck. " if stuck else ""
    if reason == Reason.OOM_KILLED:
        times = _plural(restarts, "restart")
        words = f"Out of memory: container {container} was killed (exit code 137, {times})"
    else:
        exited = f"exited with code {code}" if code not in (None, "") else "keeps exiting"
        words = f"Crash loop: container {container} {exited} ({_plural(restarts, 'restart')})"
    link = LogLink(pod=pod, container=container, previous=restarts > 0)
    label = "see previous logs" if link.previous else "see its logs"
    return Headline("Degraded", "bad", prefix + words, link, label)


def strip_terminal(text: str) -> str:
    """Log text without terminal escape sequences or control characters (tabs and
    newlines kept); the template still escapes what is left."""
    return CONTROL.sub("", ANSI.sub("", text.replace("\r\n", "\n")))


# --- revisions ---------------------------------------------------------------------

FIELD_WORDS = {
    "model_version": "version",
    "replicas": "replicas",
    "min_replicas": "autoscaling minimum",
    "max_replicas": "autoscaling maximum",
    "autoscaling_metric": "autoscaling metric",
    "autoscaling_metric_name": "autoscaling metric name",
    "autoscaling_target": "autoscaling target",
    "cpu": "CPU",
    "memory": "memory",
    "gpu_count": "GPUs",
    "gpu_model": "GPU model",
    "mig_profile": "MIG profile",
    "canary_version": "canary version",
    "canary_weight": "canary weight",
    "auto_rollback": "auto-rollback",
    "state": "state",
}


@dataclass(frozen=True)
class FieldDiff:
    """One spec field side by side in two revisions."""

    field: str
    label: str
    left: str
    right: str

    @property
    def changed(self) -> bool:
        return self.left != self.right


def shown(field: str, value: Any, versions: dict[int, str]) -> str:
    """A spec value in words: version ids by their name, empty as 'none', percents."""
    if field in ("model_version", "canary_version") and value is not None:
        return versions.get(value, f"#{value} (deleted)")
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if field == "canary_weight":
        return f"{value}%"
    return str(value)


def spec_diff(
    left: dict[str, Any], right: dict[str, Any], versions: dict[int, str]
) -> list[FieldDiff]:
    """Every spec field of two revisions side by side, in the order FIELD_WORDS names them."""
    return [
        FieldDiff(
            field,
            label,
            shown(field, left.get(field), versions),
            shown(field, right.get(field), versions),
        )
        for field, label in FIELD_WORDS.items()
        if field in left or field in right
    ]


def changes_in_words(
    before: dict[str, Any] | None, after: dict[str, Any], versions: dict[int, str]
) -> str:
    """'replicas 1 → 3, GPUs 1 → 2'; 'created' for the first revision."""
    if before is None:
        return "created"
    parts = [
        f"{d.label} {d.left} → {d.right}" for d in spec_diff(before, after, versions) if d.changed
    ]
    return ", ".join(parts) or "no spec change"
