"""The browser pages over a large fleet: 10,000 deployments in PostgreSQL.

ui.deployment_p50_ms / _p95_ms: server time of GET /deployments/<id>/ (the Overview
    tab: header, conditions, spec; its charts come in their own request), through
    the Django test client, warm (one unmeasured render first).
ui.deployment_sql_queries: SQL queries of that request with 10,000 deployments; the
    run fails if it differs from the count with 10 (it must not grow with the fleet).
ui.deployment_charts_p95_ms: the Overview's charts fragment (/deployments/<id>/charts/)
    with Prometheus' answers cached, as a page polled by several viewers sees them.
(The model page's figures, ui.model_*, are bench/ui_models.py's.)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bench._django import setup_for_pages
from bench._gantry import percentile

DEPLOYMENTS = 10_000
TEAMS = 50
RENDERS = 60

NAMES = [
    "ui.deployment_p50_ms",
    "ui.deployment_p95_ms",
    "ui.deployment_sql_queries",
    "ui.deployment_charts_p95_ms",
]

Emit = Callable[[str, float, str], None]
CONDITIONS = [
    {
        "type": "Synced",
        "status": "True",
        "reason": "Applied",
        "message": "Generation 1 is applied to cluster bench.",
        "last_transition_time": "2026-01-01T00:00:00+00:00",
    },
    {
        "type": "Available",
        "status": "True",
        "reason": "AllReplicasReady",
        "message": "Serving: 2 of 2 replicas of v1 available.",
        "last_transition_time": "2026-01-01T00:00:00+00:00",
    },
    {
        "type": "Progressing",
        "status": "False",
        "reason": "RolloutComplete",
        "message": "Generation 1 is rolled out.",
        "last_transition_time": "2026-01-01T00:00:00+00:00",
    },
    {
        "type": "Degraded",
        "status": "False",
        "reason": "AsExpected",
        "message": "No problems found.",
        "last_transition_time": "2026-01-01T00:00:00+00:00",
    },
]


def _fleet(count: int, start: int, teams, env, versions) -> None:
    from apps.deployments.models import Deployment

    Deployment.objects.bulk_create(
        [
            Deployment(
                team=teams[i % len(teams)],
                environment=env,
                name=f"model-{i:05d}",
                model_version=versions[i % len(teams)],
                gpu_count=1,
                gpu_model="NVIDIA-H100-80GB-HBM3",
                replicas=2,
                conditions=CONDITIONS,
                generation=1,
                observed_generation=1,
            )
            for i in range(start, start + count)
        ],
        batch_size=2000,
    )


def _records():
    """A deployer in one team of TEAMS; the first 10 deployments; the one to render."""
    from apps.accounts.choices import Role
    from apps.accounts.models import Membership, Team
    from apps.clusters.models import Cluster, Environment
    from apps.deployments.models import Deployment
    from apps.registry.models import Model, ModelVersion
    from tests.factories import UserFactory

    user = UserFactory(username="bench-ui")
    cluster = Cluster.objects.create(
        name="bench-ui", kubeconfig_path="/dev/null", prometheus_url="http://127.0.0.1:1"
    )
    env = Environment.objects.create(name="production", cluster=cluster, namespace="prod")
    teams = [Team.objects.create(name=f"team-{i:02d}") for i in range(TEAMS)]
    env.teams.add(*teams)
    Membership.objects.create(user=user, team=teams[0], role=Role.DEPLOYER)
    models = [Model.objects.create(team=t, name="llm") for t in teams]
    versions = [
        ModelVersion.objects.create(model=m, version="v1", artifact_uri="s3://models/llm/")
        for m in models
    ]
    _fleet(10, 0, teams, env, versions)
    target = Deployment.objects.get(name="model-00000")
    return user, target, (teams, env, versions)


def _measure(client, url: str, renders: int = RENDERS) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, HTTP_HOST="localhost")  # warm: imports, connections
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(renders):
        start = time.perf_counter()
        response = client.get(url, HTTP_HOST="localhost")
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured:
        client.get(url, HTTP_HOST="localhost")
    return timings, len(captured.captured_queries)


def run(emit: Emit) -> None:
    setup_for_pages()
    from django.core.cache import cache
    from django.test import Client

    user, target, (teams, env, versions) = _records()
    client = Client()
    client.force_login(user)
    page = f"/deployments/{target.pk}/"
    _, small_fleet_queries = _measure(client, page, renders=3)
    _fleet(DEPLOYMENTS - 10, 10, teams, env, versions)
    cache.clear()
    timings, queries = _measure(client, page)
    assert queries == small_fleet_queries, (
        f"the page made {queries} queries with {DEPLOYMENTS} deployments but "
        f"{small_fleet_queries} with 10: it grows with the fleet"
    )
    emit("ui.deployment_p50_ms", statistics.median(timings), "ms")
    emit("ui.deployment_p95_ms", percentile(timings, 95), "ms")
    emit("ui.deployment_sql_queries", queries, "queries/request")
    # Prometheus' answers (here: its refusal) are cached; the figures are built each time.
    charts, _ = _measure(client, f"/deployments/{target.pk}/charts/")
    emit("ui.deployment_charts_p95_ms", percentile(charts, 95), "ms")
