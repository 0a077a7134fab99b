"""How fast the watcher (`manage.py watch_clusters`) sees and undoes what happens.

watch.idle_cpu_ms_per_min: CPU time (user + system) the watcher process uses per minute
    over a converged fleet of 1,000 deployments, measured for a minute. Goal: near zero.
watch.drift_undone_p50_s / drift_undone_p99_s: from `kubectl set image` returning to the
    Deployment's image being Gantry's again, on DRIFTS deployments one at a time.
    Goal: p99 <= 2 s.
watch.status_seen_p99_s: from a pod's status turning to CrashLoopBackOff (written as a
    kubelet would) to the record's Degraded condition saying so, on STATUS deployments one
    at a time. Goal: p99 <= 2 s.
watch.burst_500_converged_s: from deleting the 500 Deployments of one namespace at once
    (one DELETE of the collection) to all 500 back with their pod available. Goal: <= 60 s.
    The write requests made meanwhile are printed to stderr (at most one per object per
    correction).

The fleet is made through the services and the worker of `make run`, converged before
the watcher starts; the watcher runs as `make run` starts it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench._gantry import WRITE_VERBS, harness, kubectl_path, percentile, queue_idle, wait

FLEET = 1000
BURST = 500
DRIFTS = 100
STATUS = 20
IDLE_S = 60
POLL_S = 0.02
NAMES = [
    "watch.drift_undone_p50_s",
    "watch.drift_undone_p99_s",
    "watch.status_seen_p99_s",
    "watch.burst_500_converged_s",
    "watch.idle_cpu_ms_per_min",
]

Emit = Callable[[str, float, str], None]


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime, the 14th and 15th fields (the 12th and 13th after the name).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _image(cluster: Any, record: Any) -> str:
    live = cluster.get("Deployment", record.name, record.namespace) or {}
    return (
        live.get("spec", {})
        .get("template", {})
        .get("spec", {})
        .get("containers", [{}])[0]
        .get("image", "")
    )


def _crash(h: Any, record: Any) -> None:
    """Write a pod's status as a kubelet would once its container starts crash-looping."""
    from apps.deployments import manifests
    from tests.fixtures.kube import crash_looping

    (pod,) = h.cluster.list(
        "Pod", namespace=record.namespace, labels={manifests.DEPLOYMENT_ID: str(record.pk)}
    )
    status = crash_looping(pod["status"])
    h.kubectl(
        "-n", record.namespace, "patch", "pod", pod["metadata"]["name"], "--subresource=status",
        "--type=merge", "-p", json.dumps({"status": status}),
    )  # fmt: skip


def _degraded(pk: int) -> bool:
    from apps.deployments.models import Deployment

    found = Deployment.objects.get(pk=pk).condition("Degraded") or {}
    return found.get("status") == "True" and found.get("reason") == "CrashLoopBackOff"


def _until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until `check` holds, polled every POLL_S."""
    start = time.perf_counter()
    wait(check, timeout, what, interval=POLL_S)
    return time.perf_counter() - start


def run(emit: Emit) -> None:
    h = harness()
    from apps.deployments.models import Deployment

    burst_env, fleet_env = h.environment("burst"), h.environment("fleet")
    with h.worker():
        burst = h.create(burst_env, BURST, "burst")
        rest = h.create(fleet_env, FLEET - BURST, "fleet")
        ids = [d.pk for d in burst + rest]
        wait(
            lambda: Deployment.objects.filter(pk__in=ids, available_replicas=1).count() == FLEET,
            1200,
            f"{FLEET} deployments with their pod available",
            interval=1,
        )
        wait(queue_idle, 300, "the reconcile queue to drain", interval=0.5)
        with h.watcher() as watcher:
            # The watcher's first look over the fleet (it finds nothing to do), then idle.
            time.sleep(10)
            before = _cpu_s(watcher.pid)
            time.sleep(IDLE_S)
            emit("watch.idle_cpu_ms_per_min", (_cpu_s(watcher.pid) - before) * 1000, "ms")

            drifts = []
            for record in rest[:DRIFTS]:
                wanted = _image(h.cluster, record)
                h.kubectl(
                    "-n", record.namespace, "set", "image", f"deployment/{record.name}",
                    "server=evil.example.com/miner:1",
                )  # fmt: skip
                drifts.append(
                    _until(lambda r=record, w=wanted: _image(h.cluster, r) == w, 60, "drift undone")
                )
            emit("watch.drift_undone_p50_s", percentile(drifts, 50), "s")
            emit("watch.drift_undone_p99_s", percentile(drifts, 99), "s")

            seen = []
            for record in rest[DRIFTS : DRIFTS + STATUS]:
                _crash(h, record)
                seen.append(_until(lambda pk=record.pk: _degraded(pk), 60, "Degraded"))
            emit("watch.status_seen_p99_s", percentile(seen, 99), "s")

            emit("watch.burst_500_converged_s", _burst(h, burst[0].namespace), "s")


def _burst(h: Any, namespace: str) -> float:
    from apps.deployments import manifests

    labels = {manifests.MANAGED_BY: manifests.MANAGER, manifests.INSTALLATION: h.installation}
    old = {d["metadata"]["uid"] for d in h.cluster.list("Deployment", namespace=namespace)}
    before = h.request_counts()
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    start = time.perf_counter()
    # One DELETE of the collection, so all go at once (kubectl's --all deletes one by one).
    # kube-apiserver may answer 504 after its request timeout while it goes on deleting:
    # what counts is that all come back, so the answer is only reported.
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments?labelSelector={quote(selector)}"
    answer = subprocess.run(
        [str(kubectl_path()), "--kubeconfig", h.kubeconfig, "delete", "--raw", path],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if answer.returncode:
        print(f"bench: the collection DELETE answered: {answer.stderr.strip()}", file=sys.stderr)

    def all_back() -> bool:
        live = h.cluster.list("Deployment", namespace=namespace, labels=labels)
        fresh = [
            d
            for d in live
            if d["metadata"]["uid"] not in old and (d.get("status") or {}).get("availableReplicas")
        ]
        return len(fresh) == BURST

    wait(all_back, 600, f"{BURST} Deployments back", interval=0.5)
    took = time.perf_counter() - start
    after = h.request_counts()
    writes = Counter(
        {
            key: after[key] - before[key]
            for key in after
            if key[0] in WRITE_VERBS and after[key] != before[key]
        }
    )
    print(
        f"bench: burst of {BURST}: write requests by verb and resource {dict(writes)}",
        file=sys.stderr,
    )
    return took
