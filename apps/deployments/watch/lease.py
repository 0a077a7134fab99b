"""Leader election per cluster over a coordination.k8s.io/v1 Lease.

Why a Lease and not a PostgreSQL advisory lock: a Lease must be renewed, so a
leader that hangs (not dead, its database session still open) loses it within
the lease duration; an advisory lock would stay held as long as the connection
lives. It also needs no PostgreSQL (the zero-setup `make run` uses SQLite) and
lives beside what it guards: the watcher can act on a cluster only while it can
reach it, and it can renew only while it can reach it too.

Both writes are compare-and-set: the Lease is created (409 when another got there
first) or patched with the resourceVersion it was read at (409 when another wrote
in between), so of two candidates exactly one wins. Like client-go, the holder
counts time on its own clock from its last renewal, and a candidate takes over a
Lease only when it has seen the same renewal stand for a whole lease duration.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

from apps.clusters import kube

log = logging.getLogger(__name__)


def lease_name(installation: str, cluster: str) -> str:
    """A DNS-1123 name for the Lease of one installation's watcher of one cluster."""
    stem = re.sub(r"[^a-z0-9-]+", "-", f"gantry-watch-{installation}-{cluster}".lower())
    return stem.strip("-")[:63].rstrip("-")


class Elector:
    """Holds or waits for one Lease; `tick()` once per renew interval says whether it leads."""

    def __init__(self, name: str, namespace: str, identity: str, duration_s: float) -> None:
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.duration_s = duration_s
        self.leading = False
        self._renewed_at = 0.0  # monotonic time of this holder's last successful write
        self._seen: tuple[str, float] = ("", 0.0)  # another holder's renewTime, seen when

    def tick(self, cluster: kube.Cluster) -> bool:
        """Renew, or try to acquire; False (and stop acting) whenever in doubt."""
        try:
            self.leading = self._try(cluster)
        except kube.KubeError as exc:
            log.warning("lease %s/%s: %s", self.namespace, self.name, exc)
            self.leading = self.leading and self._still_valid()
        return self.leading

    def expired(self) -> bool:
        """The leader could not renew for a whole lease duration: it must stop acting."""
        return self.leading and not self._still_valid()

    def _still_valid(self) -> bool:
        # Stop acting a little before the others may take over.
        return time.monotonic() - self._renewed_at < self.duration_s * 0.8

    def _try(self, cluster: kube.Cluster) -> bool:
        lease = cluster.get("Lease", self.name, self.namespace)
        if lease is None:
            return self._write(cluster, None, transitions=0)
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        transitions = spec.get("leaseTransitions") or 0
        if holder == self.identity:
            return self._write(cluster, lease, transitions)
        renew = spec.get("renewTime") or ""
        now = time.monotonic()
        if holder and renew != self._seen[0]:
            self._seen = (renew, now)  # a renewal we had not seen: the holder is alive
            return False
        if holder and now - self._seen[1] < float(spec.get("leaseDurationSeconds") or 0):
            return False
        return self._write(cluster, lease, transitions + 1)

    def _write(self, cluster: kube.Cluster, lease: dict[str, Any] | None, transitions: int) -> bool:
        now = _micro_time()
        spec = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": max(1, round(self.duration_s)),
            "renewTime": now,
            "leaseTransitions": transitions,
        }
        try:
            if lease is None:
                spec["acquireTime"] = now
                cluster.create(_lease(self.name, self.namespace, spec))
            else:
                if (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                    spec["acquireTime"] = now
                version = lease["metadata"]["resourceVersion"]
                cluster.merge_patch(
                    "Lease",
                    self.name,
                    self.namespace,
                    {"metadata": {"resourceVersion": version}, "spec": spec},
                )
        except kube.KubeError as exc:
            if exc.status == 409:
                return False  # another candidate wrote first
            raise
        if not self.leading:
            log.info("lease %s/%s: %s now leads", self.namespace, self.name, self.identity)
        self._renewed_at = time.monotonic()
        return True

    def release(self, cluster: kube.Cluster) -> None:
        """Give the Lease up on a clean stop, so a standby takes over at once."""
        if not self.leading:
            return
        self.leading = False
        lease = cluster.get("Lease", self.name, self.namespace)
        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
            return
        cluster.merge_patch(
            "Lease",
            self.name,
            self.namespace,
            {
                "metadata": {"resourceVersion": lease["metadata"]["resourceVersion"]},
                "spec": {"holderIdentity": None, "renewTime": None},
            },
        )


def _lease(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def _micro_time() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
