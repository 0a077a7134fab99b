"""What kube.py takes and returns besides plain dicts: cluster references, the kinds it
knows, log queries, and the errors of the API server as data. No client in here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# Worth trying again: conflicts on resourceVersion, rate limits, server trouble.
TRANSIENT_STATUSES = {409, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Kind:
    prefix: str
    plural: str
    namespaced: bool = True
    # Defined by a CustomResourceDefinition some clusters lack: ask discovery first.
    optional: bool = False


KINDS: dict[str, Kind] = {
    "Namespace": Kind("/api/v1", "namespaces", namespaced=False),
    "Service": Kind("/api/v1", "services"),
    "ResourceQuota": Kind("/api/v1", "resourcequotas"),
    "LimitRange": Kind("/api/v1", "limitranges"),
    "ServiceAccount": Kind("/api/v1", "serviceaccounts"),
    "Pod": Kind("/api/v1", "pods"),
    "Node": Kind("/api/v1", "nodes", namespaced=False),
    "Event": Kind("/api/v1", "events"),
    "Deployment": Kind("/apis/apps/v1", "deployments"),
    "ReplicaSet": Kind("/apis/apps/v1", "replicasets"),
    "HorizontalPodAutoscaler": Kind("/apis/autoscaling/v2", "horizontalpodautoscalers"),
    "PodDisruptionBudget": Kind("/apis/policy/v1", "poddisruptionbudgets"),
    "NetworkPolicy": Kind("/apis/networking.k8s.io/v1", "networkpolicies"),
    "PriorityClass": Kind("/apis/scheduling.k8s.io/v1", "priorityclasses", namespaced=False),
    "Ingress": Kind("/apis/networking.k8s.io/v1", "ingresses"),
    "HTTPRoute": Kind("/apis/gateway.networking.k8s.io/v1", "httproutes", optional=True),
    "Gateway": Kind("/apis/gateway.networking.k8s.io/v1", "gateways", optional=True),
    "Lease": Kind("/apis/coordination.k8s.io/v1", "leases"),
}
API_VERSIONS = {
    "/api/v1": "v1",
    "/apis/apps/v1": "apps/v1",
    "/apis/autoscaling/v2": "autoscaling/v2",
    "/apis/policy/v1": "policy/v1",
    "/apis/networking.k8s.io/v1": "networking.k8s.io/v1",
    "/apis/scheduling.k8s.io/v1": "scheduling.k8s.io/v1",
    "/apis/gateway.networking.k8s.io/v1": "gateway.networking.k8s.io/v1",
    "/apis/coordination.k8s.io/v1": "coordination.k8s.io/v1",
}


@dataclass(frozen=True)
class ClusterRef:
    """How to reach one cluster; credentials stay in the file, never in the database."""

    name: str
    in_cluster: bool = False
    kubeconfig_path: str = ""
    context: str = ""


@dataclass(frozen=True)
class Conflict:
    """One field another field manager holds with a different value."""

    manager: str
    field: str


@dataclass(eq=False)
class KubeError(Exception):
    """A failed API call. `transient` says whether the same call may succeed later."""

    cluster: str
    message: str
    status: int | None = None
    reason: str = ""
    retry_after: float | None = None
    transient: bool = False
    conflicts: list[Conflict] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class ClusterUnreachable(KubeError):
    """No answer from the API server: connection refused, timed out, TLS failure."""


class FieldConflict(KubeError):
    """Server-side apply refused: another field manager owns fields Gantry sets."""


class NotFound(KubeError):
    """The object, or the namespace it would live in, does not exist."""


class Gone(KubeError):
    """410: the resourceVersion a watch asked to resume from is compacted away; relist."""


class ContainerNotStarted(KubeError):
    """A log was asked of a container that is still waiting to start (e.g. its image)."""


class NoPreviousContainer(KubeError):
    """The previous log was asked of a container that has not terminated before."""


# The kubelet's 400 answers to a log request, as kube-apiserver passes them on:
#   previous terminated container "server" in pod "chat-1" not found
#   container "server" in pod "chat-1" is waiting to start: trying and failing to pull image
LOG_REFUSALS: tuple[tuple[str, type[KubeError]], ...] = (
    ("previous terminated container", NoPreviousContainer),
    ("is waiting to start", ContainerNotStarted),
)
# A log is read whole into memory, so it is bounded: the last lines, and at most
# this many bytes of them, whatever a caller asks for.
LOG_MAX_BYTES = 256 * 1024
LOG_MAX_LINES = 1000


@dataclass(frozen=True)
class LogQuery:
    """What part of a container's log to read (the pods/log subresource's options)."""

    container: str = ""
    previous: bool = False
    tail_lines: int | None = None
    since_seconds: int | None = None
    since_time: str = ""  # RFC 3339, e.g. 2026-05-01T12:00:00Z
    timestamps: bool = False
    max_bytes: int = LOG_MAX_BYTES
    max_lines: int = LOG_MAX_LINES

    def params(self) -> list[tuple[str, str]]:
        """The query string: tailLines and limitBytes never above the bounds."""
        tail = self.max_lines if self.tail_lines is None else min(self.tail_lines, self.max_lines)
        query = [("tailLines", str(max(tail, 0))), ("limitBytes", str(self.max_bytes))]
        if self.container:
            query.append(("container", self.container))
        if self.previous:
            query.append(("previous", "true"))
        if self.since_seconds is not None:
            query.append(("sinceSeconds", str(self.since_seconds)))
        elif self.since_time:
            query.append(("sinceTime", self.since_time))
        if self.timestamps:
            query.append(("timestamps", "true"))
        return query


def _api_message(body: bytes) -> tuple[str, str, float | None, list[Conflict]]:
    """Message, reason, retryAfterSeconds and field conflicts from a Status body."""
    try:
        status = json.loads(body)
    except ValueError:
        return body.decode(errors="replace").strip()[:500], "", None, []
    if not isinstance(status, dict):
        return str(status)[:500], "", None, []
    details = status.get("details") or {}
    conflicts = []
    for cause in details.get("causes") or []:
        if cause.get("reason") == "FieldManagerConflict":
            # message reads: conflict with "kubectl-set" using apps/v1
            text = cause.get("message", "")
            manager = text.split('"')[1] if text.count('"') >= 2 else text
            conflicts.append(Conflict(manager=manager, field=cause.get("field", "")))
    retry = details.get("retryAfterSeconds")
    return (
        status.get("message") or "",
        status.get("reason") or "",
        float(retry) if retry else None,
        conflicts,
    )


def _retry_after(header: str | None, fallback: float | None) -> float | None:
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass  # an HTTP date; rare from kube-apiserver, and the backoff covers it
    return fallback


def _selectors(
    labels: dict[str, str] | None, fields: dict[str, str] | None
) -> list[tuple[str, str]]:
    """The labelSelector and fieldSelector of a LIST or watch."""
    query = []
    if labels:
        query.append(("labelSelector", ",".join(f"{k}={v}" for k, v in labels.items())))
    if fields:
        query.append(("fieldSelector", ",".join(f"{k}={v}" for k, v in fields.items())))
    return query


def _short_cause(exc: BaseException) -> str:
    """The innermost reason of a urllib3 error ("Connection refused"), not its repr."""
    reason = getattr(exc, "reason", None)
    while isinstance(reason, BaseException) and getattr(reason, "reason", None):
        reason = reason.reason
    text = str(reason or exc)
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return text.split(": ", 1)[-1][:200]
