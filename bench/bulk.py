"""500 new deployments at once: how fast Gantry gets them into the cluster.

bulk.gantry_per_s: deployments per second from the first `create_deployment` call to
    every record's generation applied (observed_generation), with the Celery worker
    of `make run` doing the work.
bulk.raw_ssa_per_s: the limit: a bare loop of server-side apply calls through the
    same client, of the same manifests (Service and Deployment of each), in order.
bulk.kubectl_per_s: `kubectl apply --server-side` of the same manifests, one file.

Each runs in a fresh namespace, and the next starts only when that namespace and its
pods are gone, so none pays for another's pods. Goal: Gantry at least 0.7 of the bare
loop's rate and no slower than kubectl.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from bench._gantry import harness, wait

COUNT = 500
NAMES = ["bulk.gantry_per_s", "bulk.raw_ssa_per_s", "bulk.kubectl_per_s"]

Emit = Callable[[str, float, str], None]


def _manifests(h, environment, prefix: str) -> list[dict]:
    """The objects Gantry would apply for COUNT deployments, built by Gantry's own code."""
    from dataclasses import replace

    from apps.deployments import manifests, reconciler
    from apps.deployments.models import Deployment

    template = Deployment(
        team=h.objects["team"],
        environment=environment,
        name="template",
        model_version=h.objects["v1"],
        cpu="10m",
        memory="32Mi",
        pk=0,
    )
    base = reconciler.spec_of(template)
    objects = []
    for i in range(COUNT):
        spec = replace(base, id=10_000_000 + i, name=f"{prefix}-{i}")
        objects += manifests.deployment_objects(spec)
    return objects


def _prepare_namespace(h, environment) -> None:
    from apps.deployments import reconciler

    team = h.objects["team"].name
    reconciler.ensure_namespace(
        h.cluster,
        environment.namespace_for(team),
        lambda: reconciler.namespace_spec(environment, team, None),
        refresh=True,
    )


def run(emit: Emit) -> None:
    h = harness()

    raw_env = h.environment("raw")
    objects = _manifests(h, raw_env, "raw")
    _prepare_namespace(h, raw_env)
    cluster = h.cluster
    start = time.perf_counter()
    for obj in objects:
        cluster.apply(obj)
    raw_rate = COUNT / (time.perf_counter() - start)
    h.wait_namespace_gone(raw_env.namespace_for(h.objects["team"].name))

    kubectl_env = h.environment("kubectl")
    objects = _manifests(h, kubectl_env, "kubectl")
    _prepare_namespace(h, kubectl_env)
    document = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
    before = h.request_counts(everything=True)
    start = time.perf_counter()
    h.kubectl("apply", "--server-side", "--field-manager=gantry", "-f", "-", stdin=document)
    kubectl_rate = COUNT / (time.perf_counter() - start)
    _report_requests("kubectl", h.request_counts(everything=True) - before)
    h.wait_namespace_gone(kubectl_env.namespace_for(h.objects["team"].name))

    from apps.deployments.models import Deployment

    gantry_env = h.environment("gantry")
    _prepare_namespace(h, gantry_env)
    with h.worker():
        before = h.request_counts(everything=True)
        start = time.perf_counter()
        created = h.create(gantry_env, COUNT, "gantry")
        creating_s = time.perf_counter() - start
        ids = [d.pk for d in created]

        def applied() -> bool:
            done = Deployment.objects.filter(pk__in=ids, observed_generation__gte=1).count()
            return done == COUNT

        # Each look is a query; every 50 ms they took about 4% of the machine's CPU from
        # the workers being measured. Every 200 ms adds at most 0.2 s to a ~20 s run.
        wait(applied, 600, f"{COUNT} deployments applied", interval=0.2)
        gantry_rate = COUNT / (time.perf_counter() - start)
        _report_requests("gantry", h.request_counts(everything=True) - before)
    print(f"bench: bulk: the {COUNT} records were created in {creating_s:.1f} s", file=sys.stderr)
    print(
        f"bench: bulk: {COUNT} deployments; gantry {gantry_rate:.1f}/s = "
        f"{gantry_rate / raw_rate:.2f} of the bare loop, "
        f"{gantry_rate / kubectl_rate:.2f} of kubectl",
        file=sys.stderr,
    )
    emit("bulk.gantry_per_s", gantry_rate, "deployments/s")
    emit("bulk.raw_ssa_per_s", raw_rate, "deployments/s")
    emit("bulk.kubectl_per_s", kubectl_rate, "deployments/s")


def _report_requests(phase: str, counts) -> None:
    """Where the API server's requests went in one phase: the breakdown for a profile."""
    top = ", ".join(f"{verb} {resource} {n}" for (verb, resource), n in counts.most_common(12))
    print(f"bench: bulk: {phase} phase requests: {top}", file=sys.stderr)
