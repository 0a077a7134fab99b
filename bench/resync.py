"""What one resync of a converged fleet of 1,000 deployments costs.

resync.writes: write requests (POST, PUT, PATCH, APPLY, DELETE) to the resources
    Gantry manages during one resync, from kube-apiserver's apiserver_request_total
    on /metrics read before and after. Goal: 0.
resync.lists: LIST requests during it. Goal: at most one per managed kind (11, HTTPRoute
    and Ingress included: the fleet is exposed through an HTTPRoute each).
resync.wall_s: wall time of the resync task (LISTs, comparison, nothing to enqueue).
    Goal: <= 5 s.

The fleet is created through the services and the worker of `make run`, and is
converged first: resyncs run (and their reconciles finish) until one finds nothing.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable

from bench._gantry import WRITE_VERBS, harness, queue_idle, wait

FLEET = 1000
NAMES = ["resync.writes", "resync.lists", "resync.wall_s"]

Emit = Callable[[str, float, str], None]


def _expose(h, environment) -> None:
    """Each deployment of the fleet gets an HTTPRoute on a Gateway that exists (so its
    Exposed condition settles True), and a Service per track were it to run a canary."""
    namespace = f"{environment.namespace}-gateway"
    h.cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    h.cluster.apply(
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "public", "namespace": namespace},
            "spec": {
                "gatewayClassName": "bench",
                "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
            },
        }
    )
    environment.exposure = "httproute"
    environment.domain = "bench.example.com"
    environment.gateway = f"{namespace}/public"
    environment.full_clean()
    environment.save()


def run(emit: Emit) -> None:
    h = harness()
    from apps.deployments import resync
    from apps.deployments.models import Deployment
    from apps.deployments.tasks import enqueue_plan

    def resync_task() -> None:
        # The resync task's work for the bench cluster only: other benchmarks may have
        # left records of clusters that are not running.
        enqueue_plan(resync.resync_cluster(cluster_record))

    environment = h.environment("fleet")
    _expose(h, environment)
    cluster_record = h.objects["cluster"]
    with h.worker():
        created = h.create(environment, FLEET, "fleet")
        ids = [d.pk for d in created]
        wait(
            lambda: (
                Deployment.objects.filter(pk__in=ids, observed_generation__gte=1).count() == FLEET
            ),
            900,
            f"{FLEET} deployments applied",
            interval=1,
        )
        wait(
            lambda: Deployment.objects.filter(pk__in=ids, available_replicas=1).count() == FLEET,
            900,
            f"{FLEET} deployments with their pod available",
            interval=1,
        )
        # Converge: sweep until a sweep finds nothing, letting its reconciles finish.
        for _ in range(20):
            plan = resync.resync_cluster(cluster_record)
            if not (plan.reconcile or plan.observe or plan.namespaces or plan.deleted):
                break
            resync_task()
            time.sleep(2)
            wait(queue_idle, 300, "the reconcile queue to drain", interval=0.5)
            time.sleep(3)
        else:
            raise SystemExit("bench: the fleet did not converge after 20 resyncs")

        before = h.request_counts()
        start = time.perf_counter()
        resync_task()
        wall = time.perf_counter() - start
        after = h.request_counts()
    delta = Counter({key: after[key] - before[key] for key in after if after[key] != before[key]})
    by_verb: Counter[str] = Counter()
    for (verb, _resource), count in delta.items():
        by_verb[verb] += count
    print(
        f"bench: resync of {FLEET} deployments: requests by verb {dict(by_verb)}; "
        f"by verb and resource {dict(delta)}",
        file=sys.stderr,
    )
    emit("resync.writes", sum(n for verb, n in by_verb.items() if verb in WRITE_VERBS), "requests")
    emit("resync.lists", by_verb.get("LIST", 0), "requests")
    emit("resync.wall_s", wall, "s")
