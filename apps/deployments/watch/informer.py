"""One informer: LIST a kind, then WATCH it from the list's resourceVersion.

The informer contract of client-go, kept small: bookmarks are asked for so the
version to resume from stays fresh; a dropped connection or a watch the server
closed resumes from the last version seen; `410 Gone` (the version was compacted
away) relists, and the differences between the old store and the new list are
handed on as the changes that were missed. Every change goes to `sink` as a
`Change`; the store is the cluster's own state, kept to tell what a relist missed.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apps.clusters import kube

log = logging.getLogger(__name__)

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
# The server ends each watch after about this long (jittered, so the watches of one
# process do not all reconnect at once); the informer resumes where it was.
WATCH_TIMEOUT_S = 240
RETRY_MIN_S = 0.5
RETRY_MAX_S = 15.0
# A kind the cluster does not serve (a CRD not installed) is asked about again this often.
NOT_SERVED_RECHECK_S = 60.0


@dataclass(frozen=True)
class Source:
    """What one informer watches: a kind, where, selected how."""

    kind: str
    namespace: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Change:
    """One change seen by an informer of cluster `cluster_id`."""

    cluster_id: int
    type: str
    obj: dict[str, Any]


def key_of(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return (obj["kind"], meta.get("namespace", ""), meta["name"])


class Informer(threading.Thread):
    """LIST then WATCH `source` in `cluster` until `stop` is set; changes go to `sink`."""

    def __init__(
        self,
        cluster_id: int,
        connect: Callable[[], kube.Cluster],
        source: Source,
        sink: Callable[[Change], None],
        stop: threading.Event,
    ) -> None:
        super().__init__(name=f"informer-{cluster_id}-{source.kind}", daemon=True)
        self.cluster_id = cluster_id
        self.connect = connect
        self.source = source
        self.sink = sink
        self.stop = stop
        self.store: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.version = ""
        self.synced = threading.Event()
        self.relists = 0

    def run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            try:
                cluster = self.connect()
                if not cluster.serves(self.source.kind):
                    self._not_served()
                    continue
                if not self.version:
                    self._relist(cluster)
                self._watch(cluster)
                failures = 0
            except kube.Gone:
                log.info(
                    "watch of %s: version %s is gone; relisting", self.source.kind, self.version
                )
                self.version = ""
            except kube.KubeError as exc:
                failures += 1
                delay = min(RETRY_MAX_S, RETRY_MIN_S * 2 ** min(failures, 5))
                log.warning("watch of %s: %s; again in %.1f s", self.source.kind, exc, delay)
                self.stop.wait(delay * random.uniform(0.8, 1.2))  # nosec B311 # jitter only
            except Exception:
                # A bug must not end the informer silently: log it and start over.
                log.exception("watch of %s failed; relisting", self.source.kind)
                self.version = ""
                self.stop.wait(RETRY_MAX_S)

    def _selection(self) -> dict[str, Any]:
        return {
            "namespace": self.source.namespace,
            "labels": dict(self.source.labels) or None,
            "fields": dict(self.source.fields) or None,
        }

    def _not_served(self) -> None:
        """A custom kind (HTTPRoute) this cluster does not serve: nothing of it exists to
        watch, so the informer counts as synced, empty, and asks again later (discovery
        is cached for a minute) in case the CRD is installed."""
        for obj in self.store.values():
            self.sink(Change(self.cluster_id, DELETED, obj))
        self.store, self.version = {}, ""
        self.synced.set()
        self.stop.wait(NOT_SERVED_RECHECK_S)

    def _relist(self, cluster: kube.Cluster) -> None:
        items, version = cluster.list_at(self.source.kind, **self._selection())
        fresh = {key_of(obj): obj for obj in items}
        old, self.store = self.store, fresh
        self.relists += 1
        # What changed while no watch was looking: handed on as if it had been watched.
        for key, obj in old.items():
            if key not in fresh:
                self.sink(Change(self.cluster_id, DELETED, obj))
        for key, obj in fresh.items():
            before = old.get(key)
            if before is None:
                self.sink(Change(self.cluster_id, ADDED, obj))
            elif _version(before) != _version(obj):
                self.sink(Change(self.cluster_id, MODIFIED, obj))
        self.version = version
        self.synced.set()

    def _watch(self, cluster: kube.Cluster) -> None:
        timeout = int(WATCH_TIMEOUT_S * random.uniform(0.9, 1.1))  # nosec B311 # jitter only
        for event in cluster.watch(
            self.source.kind, self.version, timeout_s=timeout, **self._selection()
        ):
            if self.stop.is_set():
                return
            obj = event["object"]
            self.version = _version(obj) or self.version
            kind = event.get("type")
            if kind not in (ADDED, MODIFIED, DELETED):
                continue  # BOOKMARK: only the newer version, kept above
            key = key_of(obj)
            if kind == DELETED:
                self.store.pop(key, None)
            else:
                self.store[key] = obj
            self.sink(Change(self.cluster_id, kind, obj))


def _version(obj: dict[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("resourceVersion", "")
