"""A deployment's pods and a pod's log through the API, from the bench cluster.

pods.list_p95_ms: GET /api/v1/deployments/{id}/pods/ for a deployment of 8 Ready pods,
    warm: answered from the few seconds' cache (GANTRY_PODS_CACHE_S), as a page
    that polls mostly is.
pods.list_cold_p95_ms: the same with the cache emptied before each request: one
    LIST of pods and a GET of each node they run on, with the cluster's client
    already connected.
logs.tail_p95_ms: GET .../pods/{pod}/logs/?tail=1000, the last 1,000 lines of the
    model server's log (KWOK serves it through kube-apiserver), warm: the
    cluster's client connected and its connection pool kept.
logs.tail_cold_p95_ms: the same with a new client for every request (kubeconfig
    read, TLS handshake), as the first request of a process pays.

Requests go through Django's full stack in process (token authentication, the
throttle, scoping), one at a time, REQUESTS of each kind. Goal: warm p95 <= 250 ms.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench._gantry import harness, percentile, wait

PODS = 8
REQUESTS = 200
NAMES = [
    "pods.list_p95_ms",
    "pods.list_cold_p95_ms",
    "logs.tail_p95_ms",
    "logs.tail_cold_p95_ms",
]

Emit = Callable[[str, float, str], None]


def _timed(get: Callable[[], object], before: Callable[[], None] = lambda: None) -> list[float]:
    latencies = []
    for _ in range(REQUESTS):
        before()
        start = time.perf_counter()
        get()
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def run(emit: Emit) -> None:
    h = harness()
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    from apps.accounts.services import create_token
    from apps.clusters import kube
    from apps.deployments.models import Deployment
    from apps.deployments.podlogs import CACHE_KEY

    settings.GANTRY_API_THROTTLE_RATE = "100000000/min"
    environment = h.environment("pods")
    with h.worker():
        (deployment,) = h.create(environment, 1, "pods", replicas=PODS)

        def available() -> bool:
            record = Deployment.objects.get(pk=deployment.pk)
            return record.ready_replicas == PODS and any(
                c.get("type") == "Available" and c.get("status") == "True"
                for c in record.conditions
            )

        wait(available, 300, f"a deployment of {PODS} Ready pods")
    token = create_token(actor=None, user=h.objects["user"], name="bench-pods").plain
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="localhost")
    pods_path = f"/api/v1/deployments/{deployment.pk}/pods/"

    def get(path: str, want: str = "") -> Callable[[], object]:
        def call() -> object:
            response = client.get(path)
            if response.status_code != 200 or want not in response.content.decode():
                raise SystemExit(f"bench: {path} answered {response.status_code}")
            return response

        return call

    rows = get(pods_path)().json()["results"]
    if len(rows) != PODS:
        raise SystemExit(f"bench: expected {PODS} pods, the API lists {len(rows)}")
    key = CACHE_KEY.format(installation=settings.GANTRY_INSTALLATION, pk=deployment.pk)
    emit("pods.list_p95_ms", percentile(_timed(get(pods_path)), 95), "ms")
    cold = _timed(get(pods_path), before=lambda: cache.delete(key))
    emit("pods.list_cold_p95_ms", percentile(cold, 95), "ms")

    logs_path = f"{pods_path}{rows[0]['name']}/logs/?tail=1000"
    tail = get(logs_path, want="POST /v1/completions")
    lines = len(tail().content.splitlines())
    if lines != 1000:
        raise SystemExit(f"bench: expected the last 1000 lines, got {lines}")
    emit("logs.tail_p95_ms", percentile(_timed(tail), 95), "ms")

    def new_client() -> None:
        while kube._clients:
            kube._clients.popitem()[1].close()

    emit("logs.tail_cold_p95_ms", percentile(_timed(tail, before=new_client), 95), "ms")
