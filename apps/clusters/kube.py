"""The one module that talks to Kubernetes. Plain data in, plain data out.

Objects are dicts as the API serves them. Writes are server-side apply with the
single field manager `gantry`; reads are GET and LIST with label selectors.
Errors become `KubeError`s that say whether trying again may help (connection
failures, 409, 429, 5xx) or not (400, 403, 422), with the API's own message.

One client per cluster and process, built from the cluster's kubeconfig and
context (or the in-cluster service account) on first use and reused; a
kubeconfig file that changes on disk gets a new client. Kubeconfigs are read
only from the directories in settings.GANTRY_KUBECONFIG_DIRS.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import urllib3
from django.conf import settings
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from apps.core.constants import MANAGER
from apps.core.lib.paths import is_within

log = logging.getLogger(__name__)

# The field manager of apply() unless a caller names another.
FIELD_MANAGER = MANAGER
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
# Connect fast so an unreachable cluster is noticed quickly; reads of a large fleet
# (one LIST per kind) may take a while on a busy API server.
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 30.0
LIST_READ_TIMEOUT_S = 120.0
# Worth trying again: conflicts on resourceVersion, rate limits, server trouble.
TRANSIENT_STATUSES = {409, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Kind:
    prefix: str
    plural: str
    namespaced: bool = True


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
}
API_VERSIONS = {
    "/api/v1": "v1",
    "/apis/apps/v1": "apps/v1",
    "/apis/autoscaling/v2": "autoscaling/v2",
    "/apis/policy/v1": "policy/v1",
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


class Cluster:
    """A connection to one cluster's API server."""

    def __init__(self, ref: ClusterRef, api: k8s.ApiClient) -> None:
        self.ref = ref
        self._api = api

    @property
    def server(self) -> str:
        return self._api.configuration.host

    def close(self) -> None:
        self._api.close()

    # --- HTTP ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: str | None = None,
        content_type: str | None = None,
        read_timeout: float = READ_TIMEOUT_S,
        accept: str = "application/json",
    ) -> bytes:
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        method, url, headers, _, _ = self._api.param_serialize(
            method, path, query_params=query, header_params=headers, auth_settings=["BearerToken"]
        )
        try:
            response = self._api.call_api(
                method,
                url,
                header_params=headers,
                body=body,
                _request_timeout=(CONNECT_TIMEOUT_S, read_timeout),
            )
            data = response.read()
            response.response.release_conn()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ClusterUnreachable(
                cluster=self.ref.name,
                message=f"Cannot reach cluster '{self.ref.name}' at {self.server}: "
                f"{_short_cause(exc)}.",
                transient=True,
            ) from None
        except k8s.ApiException as exc:  # raised for TLS failures, with status 0
            raise ClusterUnreachable(
                cluster=self.ref.name,
                message=f"Cannot reach cluster '{self.ref.name}' at {self.server}: {exc.reason}.",
                transient=True,
            ) from None
        if 200 <= response.status < 300:
            return data
        raise self._error(response, data, f"{method} {path}")

    def _error(self, response: Any, data: bytes, request: str) -> KubeError:
        """The API server's refusal as a KubeError that says whether to try again."""
        message, reason, retry, conflicts = _api_message(data)
        message = message or f"{request}: HTTP {response.status} {response.reason}"
        error_class: type[KubeError] = KubeError
        if response.status == 404:
            error_class = NotFound
        elif response.status == 409 and conflicts:
            error_class = FieldConflict
        return error_class(
            cluster=self.ref.name,
            message=message,
            status=response.status,
            reason=reason,
            retry_after=_retry_after(response.getheader("Retry-After"), retry),
            # A field conflict will not go away by asking again.
            transient=response.status in TRANSIENT_STATUSES and not conflicts,
            conflicts=conflicts,
        )

    @staticmethod
    def _path(kind: str, namespace: str = "", name: str = "") -> str:
        spec = KINDS[kind]
        path = spec.prefix
        if spec.namespaced and namespace:
            path += f"/namespaces/{quote(namespace)}"
        path += f"/{spec.plural}"
        if name:
            path += f"/{quote(name)}"
        return path

    # --- verbs --------------------------------------------------------------------------

    def apply(
        self, obj: dict[str, Any], *, force: bool = False, field_manager: str = FIELD_MANAGER
    ) -> dict[str, Any]:
        """Server-side apply `obj` as field manager `gantry`; returns the object as stored.

        Without `force`, a field another manager owns raises FieldConflict.
        """
        meta = obj["metadata"]
        path = self._path(obj["kind"], meta.get("namespace", ""), meta["name"])
        query = [("fieldManager", field_manager), ("force", "true" if force else "false")]
        data = self._request(
            "PATCH",
            path,
            query=query,
            body=json.dumps(obj, separators=(",", ":")),
            content_type=APPLY_CONTENT_TYPE,
        )
        return json.loads(data)

    def get(self, kind: str, name: str, namespace: str = "") -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        try:
            data = self._request("GET", self._path(kind, namespace, name))
        except NotFound:
            return None
        return json.loads(data)

    def list(
        self,
        kind: str,
        *,
        namespace: str = "",
        labels: dict[str, str] | None = None,
        fields: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Every matching object, in one request (no paging: one LIST per kind)."""
        query = []
        if labels:
            query.append(("labelSelector", ",".join(f"{k}={v}" for k, v in labels.items())))
        if fields:
            query.append(("fieldSelector", ",".join(f"{k}={v}" for k, v in fields.items())))
        spec = KINDS[kind]
        try:
            data = self._request(
                "GET",
                self._path(kind, namespace),
                query=query or None,
                read_timeout=LIST_READ_TIMEOUT_S,
            )
        except NotFound:
            return []  # the namespace does not exist, so nothing is in it
        items = json.loads(data).get("items") or []
        api_version = API_VERSIONS[spec.prefix]
        for item in items:
            # LIST leaves these out of each item; callers treat items like single objects.
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items

    def delete(
        self, kind: str, name: str, namespace: str = "", *, propagation: str = "Background"
    ) -> bool:
        """Ask for deletion; False when the object was already gone."""
        try:
            self._request(
                "DELETE",
                self._path(kind, namespace, name),
                query=[("propagationPolicy", propagation)],
            )
        except NotFound:
            return False
        return True

    def read_log(self, namespace: str, pod: str, query: LogQuery | None = None) -> str:
        """A container's log as text, bounded by the query's max_lines and max_bytes.

        The text is the program's own output, decoded leniently and never interpreted.
        """
        query = query or LogQuery()
        path = self._path("Pod", namespace, pod) + "/log"
        try:
            data = self._request("GET", path, query=query.params(), accept="text/plain, */*")
        except KubeError as exc:
            raise _log_refusal(exc) from None
        # limitBytes bounds what the kubelet sends; this bounds a server that ignores it.
        return data[: query.max_bytes].decode("utf-8", errors="replace")

    def raw_get(self, path: str, accept: str = "text/plain") -> str:
        """A non-resource path such as /metrics or /version, as text."""
        return self._request("GET", path, accept=accept).decode()


def _log_refusal(exc: KubeError) -> KubeError:
    """A refused log request as the subclass that names why, when the message says."""
    if exc.status != 400:
        return exc
    for marker, error_class in LOG_REFUSALS:
        if marker in exc.message:
            return error_class(
                cluster=exc.cluster, message=exc.message, status=exc.status, reason=exc.reason
            )
    return exc


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


# --- clients, one per cluster and process -----------------------------------------------

_clients: dict[tuple[ClusterRef, float], Cluster] = {}
_clients_lock = threading.Lock()


def _new_api_client(ref: ClusterRef) -> k8s.ApiClient:
    configuration = k8s.Configuration()
    if ref.in_cluster:
        k8s_config.load_incluster_config(client_configuration=configuration)
    else:
        k8s_config.load_kube_config(
            config_file=ref.kubeconfig_path,
            context=ref.context or None,
            client_configuration=configuration,
            persist_config=False,
        )
    # Gantry retries with its own backoff (and says so on the record); urllib3's
    # silent retries would only hide an unreachable cluster for longer.
    configuration.retries = False
    return k8s.ApiClient(configuration)


def connect(ref: ClusterRef, *, kubeconfig_dirs: Sequence[str] | None = None) -> Cluster:
    """The client for `ref`, built on first use and reused while its kubeconfig is unchanged.

    A kubeconfig outside `kubeconfig_dirs` (default: settings.GANTRY_KUBECONFIG_DIRS) is not
    read at all. Whatever is wrong with the file, the caller gets ClusterUnreachable for
    this one cluster, with a message that says nothing of what the file holds.
    """
    if ref.in_cluster:
        version = 0.0
    else:
        allowed = settings.GANTRY_KUBECONFIG_DIRS if kubeconfig_dirs is None else kubeconfig_dirs
        version = _kubeconfig_version(ref, allowed)
    key = (ref, version)
    with _clients_lock:
        cluster = _clients.get(key)
        if cluster is None:
            api = _load(ref)
            for old_key in [k for k in _clients if k[0] == ref]:
                _clients.pop(old_key).close()
            cluster = _clients[key] = Cluster(ref, api)
    return cluster


def _kubeconfig_version(ref: ClusterRef, allowed_dirs: Sequence[str]) -> float:
    """The kubeconfig's mtime, once it is known to be a regular file Gantry may read."""
    if not is_within(ref.kubeconfig_path, allowed_dirs):
        raise ClusterUnreachable(
            cluster=ref.name,
            message=f"The kubeconfig of cluster '{ref.name}' is outside the directories Gantry "
            "reads kubeconfigs from (GANTRY_KUBECONFIG_DIRS); a platform admin must move it "
            "into one of them.",
        )
    try:
        status = os.stat(ref.kubeconfig_path)
    except OSError:
        # Perhaps a Secret not mounted yet: worth trying again.
        raise _unreadable(ref, transient=True) from None
    if not stat.S_ISREG(status.st_mode):
        raise _unreadable(ref)
    return status.st_mtime


def _load(ref: ClusterRef) -> k8s.ApiClient:
    try:
        return _new_api_client(ref)
    except (ConfigException, OSError, ValueError) as exc:
        if ref.in_cluster:
            raise ClusterUnreachable(
                cluster=ref.name,
                message=f"Cannot load the credentials of cluster '{ref.name}': {exc}.",
                transient=True,
            ) from None
        log.warning("cluster %s: kubeconfig did not load (%s)", ref.name, type(exc).__name__)
        raise _unreadable(ref) from None
    except Exception as exc:
        # A file that is YAML but not a kubeconfig (a list, a string, /etc/passwd) fails
        # deep in the loader with TypeError, AttributeError, KeyError and the like. It is
        # this cluster's trouble, never a crash of the sweep over all clusters; the
        # loader's words may quote the file, so only the error's type is logged.
        log.warning("cluster %s: kubeconfig did not load (%s)", ref.name, type(exc).__name__)
        raise _unreadable(ref) from None


def _unreadable(ref: ClusterRef, *, transient: bool = False) -> ClusterUnreachable:
    context = f" with context '{ref.context}'" if ref.context else ""
    return ClusterUnreachable(
        cluster=ref.name,
        message=f"The kubeconfig of cluster '{ref.name}' is not a readable kubeconfig{context}; "
        "a platform admin must check the file set on the cluster.",
        transient=transient,
    )
