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
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

import urllib3
from django.conf import settings
from kubernetes import client as k8s

from apps.clusters.kubeconfig import kubeconfig_version, load_api_client
from apps.clusters.kubetypes import (  # noqa: F401 (re-exported: kube is the one way in)
    API_VERSIONS,
    KINDS,
    LOG_MAX_BYTES,
    LOG_MAX_LINES,
    LOG_REFUSALS,
    TRANSIENT_STATUSES,
    ClusterRef,
    ClusterUnreachable,
    Conflict,
    ContainerNotStarted,
    FieldConflict,
    Gone,
    Kind,
    KubeError,
    LogQuery,
    NoPreviousContainer,
    NotFound,
    _api_message,
    _retry_after,
    _selectors,
    _short_cause,
)
from apps.core.constants import MANAGER

log = logging.getLogger(__name__)

# The field manager of apply() unless a caller names another.
FIELD_MANAGER = MANAGER
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
MERGE_PATCH_CONTENT_TYPE = "application/merge-patch+json"
# Connect fast so an unreachable cluster is noticed quickly; reads of a large fleet
# (one LIST per kind) may take a while on a busy API server.
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 30.0
LIST_READ_TIMEOUT_S = 120.0
# How long a discovery answer (which optional kinds a cluster serves) is trusted: CRDs
# come and go rarely, and asking once a minute keeps a resync at one LIST per kind.
DISCOVERY_TTL_S = 60.0


class Cluster:
    """A connection to one cluster's API server."""

    def __init__(self, ref: ClusterRef, api: k8s.ApiClient) -> None:
        self.ref = ref
        self._api = api
        # API group version -> (when asked, the resources it serves)
        self._discovered: dict[str, tuple[float, frozenset[str]]] = {}

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
        body: str | dict[str, Any] | None = None,
        content_type: str | None = None,
        read_timeout: float = READ_TIMEOUT_S,
        accept: str = "application/json",
    ) -> bytes:
        response = self._open(method, path, query, read_timeout, body, content_type, accept)
        try:
            return response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._unreachable(exc) from None
        finally:
            response.release_conn()

    def _open(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None,
        read_timeout: float,
        body: str | dict[str, Any] | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
    ) -> urllib3.BaseHTTPResponse:
        """The response as urllib3 streams it, or the refusal as a KubeError."""
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
            if 200 <= response.status < 300:
                return response.response
            data = response.read()
            response.response.release_conn()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._unreachable(exc) from None
        except k8s.ApiException as exc:  # raised for TLS failures, with status 0
            raise ClusterUnreachable(
                cluster=self.ref.name,
                message=f"Cannot reach cluster '{self.ref.name}' at {self.server}: {exc.reason}.",
                transient=True,
            ) from None
        raise self._error(response, data, f"{method} {path}")

    def _unreachable(self, exc: BaseException) -> ClusterUnreachable:
        return ClusterUnreachable(
            cluster=self.ref.name,
            message=f"Cannot reach cluster '{self.ref.name}' at {self.server}: "
            f"{_short_cause(exc)}.",
            transient=True,
        )

    def _error(self, response: Any, data: bytes, request: str) -> KubeError:
        """The API server's refusal as a KubeError that says whether to try again."""
        message, reason, retry, conflicts = _api_message(data)
        message = message or f"{request}: HTTP {response.status} {response.reason}"
        error_class: type[KubeError] = KubeError
        if response.status == 404:
            error_class = NotFound
        elif response.status == 410:
            error_class = Gone
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

    def serves(self, kind: str) -> bool:
        """Whether the cluster serves `kind`: always for built-in kinds; for a custom
        resource (HTTPRoute, Gateway) what discovery says, asked at most once a minute."""
        spec = KINDS[kind]
        if not spec.optional:
            return True
        now = time.monotonic()
        asked, plurals = self._discovered.get(spec.prefix, (-DISCOVERY_TTL_S, frozenset()))
        if now - asked >= DISCOVERY_TTL_S:
            try:
                resources = json.loads(self._request("GET", spec.prefix)).get("resources") or []
            except NotFound:
                resources = []  # the group version is not installed
            plurals = frozenset(r.get("name", "") for r in resources)
            self._discovered[spec.prefix] = (now, plurals)
        return spec.plural in plurals

    # --- verbs --------------------------------------------------------------------------

    def apply(
        self, obj: dict[str, Any], *, force: bool = False, field_manager: str = FIELD_MANAGER
    ) -> dict[str, Any]:
        """Server-side apply `obj` as field manager `gantry`; returns the object as stored.

        Without `force`, a field another manager owns raises FieldConflict.
        """
        return self.apply_created(obj, force=force, field_manager=field_manager)[0]

    def apply_created(
        self, obj: dict[str, Any], *, force: bool = False, field_manager: str = FIELD_MANAGER
    ) -> tuple[dict[str, Any], bool]:
        """As `apply`, and whether the apply created the object (201) or changed it."""
        meta = obj["metadata"]
        path = self._path(obj["kind"], meta.get("namespace", ""), meta["name"])
        query = [("fieldManager", field_manager), ("force", "true" if force else "false")]
        body = json.dumps(obj, separators=(",", ":"))
        response = self._open("PATCH", path, query, READ_TIMEOUT_S, body, APPLY_CONTENT_TYPE)
        try:
            data = response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._unreachable(exc) from None
        finally:
            response.release_conn()
        return json.loads(data), response.status == 201

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
        return self.list_at(kind, namespace=namespace, labels=labels, fields=fields)[0]

    def list_at(
        self,
        kind: str,
        *,
        namespace: str = "",
        labels: dict[str, str] | None = None,
        fields: dict[str, str] | None = None,
    ) -> tuple[list[dict[str, Any]], str]:
        """Every matching object and the list's resourceVersion, where a watch starts."""
        query = _selectors(labels, fields)
        spec = KINDS[kind]
        try:
            data = self._request(
                "GET",
                self._path(kind, namespace),
                query=query or None,
                read_timeout=LIST_READ_TIMEOUT_S,
            )
        except NotFound:
            return [], ""  # the namespace does not exist, so nothing is in it
        body = json.loads(data)
        items = body.get("items") or []
        api_version = API_VERSIONS[spec.prefix]
        for item in items:
            # LIST leaves these out of each item; callers treat items like single objects.
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items, (body.get("metadata") or {}).get("resourceVersion", "")

    def watch(
        self,
        kind: str,
        resource_version: str,
        *,
        namespace: str = "",
        labels: dict[str, str] | None = None,
        fields: dict[str, str] | None = None,
        timeout_s: int = 300,
    ) -> Iterator[dict[str, Any]]:
        """The changes after `resource_version`, as {"type": ..., "object": ...} dicts.

        Asks for bookmarks (type BOOKMARK: only a newer resourceVersion). Ends when the
        server closes the watch (after about `timeout_s`); raises Gone when the version
        is too old to resume from, and ClusterUnreachable when the connection drops.
        """
        query = [
            *_selectors(labels, fields),
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("resourceVersion", resource_version),
            ("timeoutSeconds", str(timeout_s)),
        ]
        response = self._open("GET", self._path(kind, namespace), query, timeout_s + 30)
        api_version = API_VERSIONS[KINDS[kind].prefix]
        try:
            for line in response:
                if not line.strip():
                    continue
                event = json.loads(line)
                obj = event.get("object") or {}
                if event.get("type") == "ERROR":
                    # A watch that started fine may still be told its version is gone.
                    raise self._status_error(obj, f"watch {kind}")
                obj.setdefault("apiVersion", api_version)
                obj.setdefault("kind", kind)
                yield event
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._unreachable(exc) from None
        finally:
            response.release_conn()
            response.close()

    def _status_error(self, status: dict[str, Any], request: str) -> KubeError:
        code = status.get("code") or 0
        error_class = Gone if code == 410 else KubeError
        return error_class(
            cluster=self.ref.name,
            message=status.get("message") or f"{request}: HTTP {code}",
            status=code,
            reason=status.get("reason") or "",
            transient=code in TRANSIENT_STATUSES,
        )

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Create `obj`; Conflict-status KubeError (409) when it exists already."""
        meta = obj["metadata"]
        data = self._request(
            "POST",
            self._path(obj["kind"], meta.get("namespace", "")),
            body=obj,  # a JSON content type: the client serializes it
            content_type="application/json",
        )
        return json.loads(data)

    def merge_patch(
        self, kind: str, name: str, namespace: str, patch: dict[str, Any]
    ) -> dict[str, Any]:
        """A JSON merge patch; one naming metadata.resourceVersion fails with 409 when
        the object changed since (compare-and-set)."""
        data = self._request(
            "PATCH",
            self._path(kind, namespace, name),
            body=patch,  # a JSON content type: the client serializes it
            content_type=MERGE_PATCH_CONTENT_TYPE,
        )
        return json.loads(data)

    def delete(
        self,
        kind: str,
        name: str,
        namespace: str = "",
        *,
        propagation: str = "Background",
        resource_version: str = "",
    ) -> bool:
        """Ask for deletion; False when the object was already gone.

        With `resource_version`, only that version of the object is deleted: one changed
        since (say, taken over by a new record of the same name) fails with 409.
        """
        options: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": propagation,
        }
        if resource_version:
            options["preconditions"] = {"resourceVersion": resource_version}
        try:
            self._request(
                "DELETE",
                self._path(kind, namespace, name),
                body=options,
                content_type="application/json",
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


# --- clients, one per cluster and process -----------------------------------------------

_clients: dict[tuple[ClusterRef, float], Cluster] = {}
_clients_lock = threading.Lock()


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
        version = kubeconfig_version(ref, allowed)
    key = (ref, version)
    with _clients_lock:
        cluster = _clients.get(key)
        if cluster is None:
            api = load_api_client(ref)
            for old_key in [k for k in _clients if k[0] == ref]:
                _clients.pop(old_key).close()
            cluster = _clients[key] = Cluster(ref, api)
    return cluster
