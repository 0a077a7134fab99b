"""Latency of one change, from the service call to the cluster.

reconcile.apply_p50_s / apply_p99_s: from calling `update_deployment` to the record's
    observed_generation reaching the new generation (every object applied).
reconcile.available_p50_s / available_p99_s: from the same call to the record's
    Available condition being True for the new generation (its pods ready).

CHANGES changes, one at a time, round-robin over DEPLOYMENTS deployments, each a
new model version (a rolling update of one pod), with the worker of `make run`.
Goal: applied p50 <= 0.5 s, p99 <= 2 s.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from bench._gantry import harness, percentile, wait

CHANGES = 100
DEPLOYMENTS = 10
POLL_S = 0.005
NAMES = [
    "reconcile.apply_p50_s",
    "reconcile.apply_p99_s",
    "reconcile.available_p50_s",
    "reconcile.available_p99_s",
]

Emit = Callable[[str, float, str], None]


def _available_at(conditions: list[dict], generation: int) -> bool:
    return any(
        c.get("type") == "Available"
        and c.get("status") == "True"
        and c.get("observed_generation") == generation
        for c in conditions
    )


def run(emit: Emit) -> None:
    h = harness()
    from apps.deployments import services
    from apps.deployments.models import Deployment

    environment = h.environment("latency")
    applied: list[float] = []
    available: list[float] = []
    with h.worker():
        deployments = h.create(environment, DEPLOYMENTS, "latency")
        ids = [d.pk for d in deployments]

        def all_available() -> bool:
            rows = Deployment.objects.filter(pk__in=ids).values_list("generation", "conditions")
            return all(_available_at(conditions, gen) for gen, conditions in rows)

        wait(all_available, 300, f"{DEPLOYMENTS} deployments Available")
        versions = [h.objects["v1"], h.objects["v2"]]
        for i in range(CHANGES):
            deployment = Deployment.objects.get(pk=ids[i % DEPLOYMENTS])
            target = versions[1] if deployment.model_version_id == versions[0].pk else versions[0]
            start = time.perf_counter()
            changed = services.update_deployment(
                deployment, actor=h.objects["user"], model_version=target
            )
            generation = changed.generation
            applied_at = None
            deadline = start + 120
            while True:
                observed, conditions = Deployment.objects.values_list(
                    "observed_generation", "conditions"
                ).get(pk=changed.pk)
                now = time.perf_counter()
                if applied_at is None and observed >= generation:
                    applied_at = now
                if applied_at is not None and _available_at(conditions, generation):
                    break
                if now > deadline:
                    raise SystemExit(f"bench: change {i} did not become Available in 120 s")
                time.sleep(POLL_S)
            applied.append(applied_at - start)
            available.append(now - start)
    print(
        f"bench: reconcile: {CHANGES} changes; applied max {max(applied):.3f} s, "
        f"available max {max(available):.3f} s",
        file=sys.stderr,
    )
    emit("reconcile.apply_p50_s", percentile(applied, 50), "s")
    emit("reconcile.apply_p99_s", percentile(applied, 99), "s")
    emit("reconcile.available_p50_s", percentile(available, 50), "s")
    emit("reconcile.available_p99_s", percentile(available, 99), "s")
