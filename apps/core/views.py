"""Liveness and readiness endpoints for load balancers and Kubernetes probes."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from apps.core.health import check_database, check_redis

# Without these a process cannot serve: it is taken out of the load balancer.
REQUIRED = ("database",)
# Without Redis pages and the API keep answering (the cache misses, the API throttle
# counts per process) and changes are applied by the first resync after it is back.
# Failing readiness for it would take every process out of service at once.
DEGRADED_NOTE = {
    "redis": "pages and the API still answer; changes are applied once it is back",
}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """200 "ok", 200 "degraded" (Redis down) or 503 "unavailable" (the database down)."""
    checks = {"database": check_database(), "redis": check_redis()}
    failing = {name: problem for name, problem in checks.items() if problem}
    unavailable = any(name in REQUIRED for name in failing)
    status = "unavailable" if unavailable else "degraded" if failing else "ok"
    body = {
        "status": status,
        "checks": {name: (problem or "ok") for name, problem in checks.items()},
    }
    notes = [f"{name}: {DEGRADED_NOTE[name]}" for name in failing if name in DEGRADED_NOTE]
    if notes:
        body["degraded"] = notes
    return JsonResponse(body, status=503 if unavailable else 200)
