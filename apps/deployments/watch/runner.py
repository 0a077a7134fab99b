"""The watcher process: per active cluster, informers and a Lease; one loop that acts.

Informers and electors run in threads and only talk to Kubernetes; the loop drains
their changes, coalesces them per deployment or namespace, and, for the clusters
this process leads, decides and queues (react.py). A cluster acquired from another
watcher, or whose informers just synced, is looked at whole from the stores, so a
change made while nobody led is not missed.
"""

from __future__ import annotations

import logging
import os
import queue as queues
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections

from apps.clusters import kube
from apps.clusters.models import Cluster
from apps.deployments import manifests, queue
from apps.deployments.constants import DEPLOYMENT_KINDS, NAMESPACE_KINDS
from apps.deployments.reconciler.specs import cluster_ref
from apps.deployments.resync import Plan
from apps.deployments.watch import react
from apps.deployments.watch.coalesce import Coalescer
from apps.deployments.watch.informer import DELETED, Change, Informer, Source, key_of
from apps.deployments.watch.lease import Elector, lease_name

log = logging.getLogger(__name__)

CLUSTERS_POLL_S = 10.0
IDLE_WAIT_S = 1.0
# A decision the database or the cluster could not take is tried again this much later.
RETRY_S = 2.0
# A reconcile already queued or running for a deployment: the change is looked at again
# this much later, and a reconcile queued then if it is still needed.
PENDING_S = 0.5
HEARTBEAT_S = 10.0


def sources(installation: str, namespaces: Iterable[str]) -> list[Source]:
    """What to watch in a cluster: every managed kind, by Gantry's labels (so kinds added
    to the constants are watched too), Gantry's pods, and Warning events."""
    labels = ((manifests.MANAGED_BY, manifests.MANAGER), (manifests.INSTALLATION, installation))
    wanted = [Source(kind, labels=labels) for kind in DEPLOYMENT_KINDS + NAMESPACE_KINDS]
    wanted.append(Source("Pod", labels=((manifests.INSTALLATION, installation),)))
    wanted.append(Source("Event", fields=(("type", "Warning"),)))
    namespaces = list(namespaces)
    if not namespaces:
        return wanted
    # Rights per namespace (GANTRY_NAMESPACES): each kind in each, and no Namespaces.
    return [
        Source(s.kind, namespace, s.labels, s.fields)
        for s in wanted
        if s.kind != "Namespace"
        for namespace in namespaces
    ]


class ClusterWatch:
    """The informers and the elector of one cluster."""

    def __init__(self, model: Cluster, sink: Any, identity: str) -> None:
        self.id = model.pk
        self.model = model
        self.ref = cluster_ref(model)
        self.stop = threading.Event()
        self._last_beat = 0.0
        self.elector = Elector(
            lease_name(settings.GANTRY_INSTALLATION, model.name),
            settings.GANTRY_WATCH_LEASE_NAMESPACE,
            identity,
            settings.GANTRY_WATCH_LEASE_S,
        )
        self.informers = [
            Informer(model.pk, self.connect, source, sink, self.stop)
            for source in sources(settings.GANTRY_INSTALLATION, settings.GANTRY_NAMESPACES)
        ]
        self.was_leading = False
        self.seen_relists = 0
        self._lease_thread = threading.Thread(
            target=self._lead, name=f"lease-{model.pk}", daemon=True
        )

    def connect(self) -> kube.Cluster:
        return kube.connect(self.ref)

    def start(self) -> None:
        for informer in self.informers:
            informer.start()
        self._lease_thread.start()

    def close(self) -> None:
        self.stop.set()
        self._lease_thread.join(timeout=10)

    def relists(self) -> int:
        return sum(informer.relists for informer in self.informers)

    @property
    def synced(self) -> bool:
        return all(informer.synced.is_set() for informer in self.informers)

    @property
    def leading(self) -> bool:
        return self.elector.leading and not self.elector.expired()

    def live(self) -> dict[react.Key, dict[str, Any]]:
        """The cluster as the informers last saw it (copies: the threads go on)."""
        merged: dict[react.Key, dict[str, Any]] = {}
        for informer in self.informers:
            merged.update(dict(informer.store))
        return merged

    def live_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        for informer in self.informers:
            if informer.source.kind == "Pod":
                pod = informer.store.get(("Pod", namespace, name))
                if pod is not None:
                    return pod
        return None

    def _lead(self) -> None:
        renew = max(0.2, settings.GANTRY_WATCH_LEASE_S / 3)
        while not self.stop.is_set():
            try:
                self.elector.tick(self.connect())
            except kube.KubeError as exc:
                log.warning("cluster %s: lease: %s", self.model.name, exc)
            self.stop.wait(renew)
        try:
            self.elector.release(self.connect())
        except kube.KubeError as exc:
            log.warning("cluster %s: could not release the lease: %s", self.model.name, exc)


class Watcher:
    """Runs until `stop` is set."""

    def __init__(self) -> None:
        self.identity = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.changes: queues.SimpleQueue[Change] = queues.SimpleQueue()
        self.clusters: dict[int, ClusterWatch] = {}
        self.coalescer = Coalescer(settings.GANTRY_WATCH_COALESCE_S)
        self.stop = threading.Event()

    def run(self) -> None:
        log.info("watcher %s starting", self.identity)
        next_poll = 0.0
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= next_poll:
                    self._refresh_clusters()
                    next_poll = now + settings.GANTRY_WATCH_CLUSTERS_POLL_S
                self._drain(self._wait_s(now, next_poll))
                self._act(time.monotonic())
                self._beat()
        finally:
            for watch in self.clusters.values():
                watch.close()

    def _beat(self) -> None:
        """Touch the heartbeat file (for a liveness check) while the loop turns."""
        path = settings.GANTRY_WATCH_HEARTBEAT_FILE
        if path and time.monotonic() - self._last_beat > HEARTBEAT_S:
            Path(path).touch()
            self._last_beat = time.monotonic()

    def _wait_s(self, now: float, next_poll: float) -> float:
        due = self.coalescer.next_due()
        until = min(next_poll, due if due is not None else now + IDLE_WAIT_S)
        return max(0.0, min(IDLE_WAIT_S, until - now))

    def _refresh_clusters(self) -> None:
        try:
            close_old_connections()
            active = {c.pk: c for c in Cluster.objects.filter(is_active=True)}
        except OperationalError as exc:
            log.warning("watcher: the database did not answer (%s); trying again", exc)
            return
        for pk, watch in list(self.clusters.items()):
            model = active.get(pk)
            if model is None or cluster_ref(model) != watch.ref:
                watch.close()
                del self.clusters[pk]
        for pk, model in active.items():
            if pk not in self.clusters:
                log.info("watcher: watching cluster %s", model.name)
                self.clusters[pk] = ClusterWatch(model, self.changes.put, self.identity)
                self.clusters[pk].start()

    def _drain(self, wait_s: float) -> None:
        try:
            change = self.changes.get(timeout=wait_s)
        except queues.Empty:
            return
        now = time.monotonic()
        while True:
            self._route(change, now)
            try:
                change = self.changes.get_nowait()
            except queues.Empty:
                return

    def _route(self, change: Change, now: float) -> None:
        watch = self.clusters.get(change.cluster_id)
        if watch is None:
            return
        target = _target(change, watch)
        if target is not None:
            self.coalescer.touch((change.cluster_id, *target), now)

    def _act(self, now: float) -> None:
        for watch in self.clusters.values():
            leading = watch.leading and watch.synced
            relists = watch.relists()
            # Newly leading, or back after an outage or a 410: look at everything.
            if leading and (not watch.was_leading or relists != watch.seen_relists):
                self._touch_everything(watch, now)
                watch.seen_relists = relists
            watch.was_leading = leading
        due = self.coalescer.pop_due(now)
        by_cluster: dict[int, list[tuple[str, Any]]] = {}
        for cluster_id, what, ident in due:
            by_cluster.setdefault(cluster_id, []).append((what, ident))
        for cluster_id, targets in by_cluster.items():
            watch = self.clusters.get(cluster_id)
            if watch is None or not watch.was_leading:
                continue  # another watcher leads it; on taking over, everything is looked at
            try:
                close_old_connections()
                self._decide(watch, targets, now)
            except (OperationalError, kube.KubeError) as exc:
                log.warning("watcher: cluster %s: %s; looking again soon", watch.model.name, exc)
                for what, ident in targets:
                    self.coalescer.touch((cluster_id, what, ident), now, delay=RETRY_S)

    def _touch_everything(self, watch: ClusterWatch, now: float) -> None:
        log.info("watcher: leading cluster %s; looking at all of it", watch.model.name)
        for key, obj in watch.live().items():
            target = _target(Change(watch.id, "ADDED", obj), watch)
            if target is not None and key[0] not in ("Pod", "Event"):
                self.coalescer.touch((watch.id, *target), now)

    def _decide(self, watch: ClusterWatch, targets: list[tuple[str, Any]], now: float) -> None:
        live = watch.live()
        cluster = watch.connect()
        plan = Plan(cluster=watch.model.name)
        ids = {ident for what, ident in targets if what == "deployment"}
        observe = {ident for what, ident in targets if what == "observe"}
        namespaces = {ident for what, ident in targets if what == "namespace"}
        records = react.decide_deployments(cluster, watch.model, ids | observe, live, plan)
        for ident in observe - plan.reconcile:
            if ident in records and react.settled(records[ident]):
                plan.observe.add(ident)
        if namespaces:
            react.decide_namespaces(watch.model, namespaces, live, plan)
        self._enqueue(watch, plan, ids | observe, now)

    def _enqueue(self, watch: ClusterWatch, plan: Plan, looked_at: set[int], now: float) -> None:
        for ident in sorted(plan.reconcile):
            if queue.enqueue_once(ident):
                reason = plan.reasons.get(ident, "")
                log.info("watch %s: reconcile %s: %s", watch.model.name, ident, reason)
                self.coalescer.acted((watch.id, "deployment", ident), now)
            else:
                # One is queued or running: look again soon, as it may have read the
                # cluster before this change.
                self.coalescer.touch((watch.id, "deployment", ident), now, delay=PENDING_S)
        for ident in sorted(plan.observe - plan.reconcile):
            if not queue.enqueue_once(ident, observe_only=True):
                self.coalescer.touch((watch.id, "observe", ident), now, delay=PENDING_S)
        for ident in looked_at - plan.reconcile:
            self.coalescer.settled((watch.id, "deployment", ident))
        for environment_id, team_id in sorted(plan.namespaces):
            log.info("watch %s: namespace of team %s drifted", watch.model.name, team_id)
            queue.enqueue_namespace(environment_id, team_id)
        for line in plan.deleted:
            log.info("watch %s: deleted %s", watch.model.name, line)


def _target(change: Change, watch: ClusterWatch) -> tuple[str, Any] | None:
    """What a change is about: ("deployment"|"observe", id) or ("namespace", name)."""
    obj = change.obj
    kind = obj.get("kind")
    if kind == "Event":
        involved = obj.get("involvedObject") or {}
        if change.type == DELETED or involved.get("kind") != "Pod":
            return None
        pod = watch.live_pod(involved.get("namespace", ""), involved.get("name", ""))
        ident = react.deployment_id(pod) if pod else None
        return ("observe", ident) if ident is not None else None
    if kind == "Pod":
        ident = react.deployment_id(obj)
        if ident is None or (change.type != DELETED and not react.pod_in_trouble(obj)):
            return None
        return ("observe", ident)
    if kind in DEPLOYMENT_KINDS:
        ident = react.deployment_id(obj)
        return ("deployment", ident) if ident is not None else None
    if kind in NAMESPACE_KINDS:
        _, namespace, name = key_of(obj)
        return ("namespace", name if kind == "Namespace" else namespace)
    return None
