"""Liveness and readiness endpoints for load balancers and Kubernetes probes."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from apps.core.health import check_database, check_redis


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database(), "redis": check_redis()}
    failing = {name: problem for name, problem in checks.items() if problem}
    body = {
        "status": "unavailable" if failing else "ok",
        "checks": {name: (problem or "ok") for name, problem in checks.items()},
    }
    return JsonResponse(body, status=503 if failing else 200)
