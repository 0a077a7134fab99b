"""The Models pages with 10,000 deployments in PostgreSQL.

ui.model_p50_ms / _p95_ms: server time of GET /models/<id>/ for a model with 50
    versions, two deployments on each, from the request to the rendered page.
ui.model_sql_queries: SQL queries for that page; constant, whatever the versions
    and the fleet hold (tests/registry/test_pages.py checks 5 against 50).
ui.models_list_p95_ms / ui.models_list_sql_queries: the same for GET /models/ with
    the team's 200 models.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bench._django import setup_for_pages
from bench._gantry import percentile

DEPLOYMENTS = 10_000
VERSIONS = 50
MODELS = 200
RENDERS = 40

NAMES = [
    "ui.model_p50_ms",
    "ui.model_p95_ms",
    "ui.model_sql_queries",
    "ui.models_list_p95_ms",
    "ui.models_list_sql_queries",
]

Emit = Callable[[str, float, str], None]


def _records():
    """A deployer of a team whose first model has VERSIONS versions, and the fleet."""
    from apps.accounts.choices import Role
    from apps.accounts.models import Membership, Team
    from apps.clusters.models import Cluster, Environment
    from apps.deployments.models import Deployment
    from apps.registry.models import Model, ModelVersion
    from tests.factories import UserFactory

    user = UserFactory(username="bench-registry-deployer")
    team = Team.objects.create(name="bench-registry")
    Membership.objects.create(user=user, team=team, role=Role.DEPLOYER)
    cluster = Cluster.objects.create(name="bench-registry", kubeconfig_path="/dev/null")
    env = Environment.objects.create(name="bench-registry", cluster=cluster, namespace="breg")
    env.teams.add(team)
    models = Model.objects.bulk_create(
        Model(team=team, name=f"model-{i:03d}", description="A benchmark model.")
        for i in range(MODELS)
    )

    def version(model, n: int):
        return ModelVersion(
            model=model, version=f"v{n}", artifact_uri=f"s3://models/{model.name}/", created_by=user
        )

    shown = ModelVersion.objects.bulk_create(version(models[0], n) for n in range(VERSIONS))
    others = ModelVersion.objects.bulk_create(version(m, n) for m in models[1:] for n in range(2))
    Deployment.objects.bulk_create(
        Deployment(
            team=team,
            environment=env,
            name=f"d-{i:05d}",
            # Two on each version of the page's model; the rest spread over the others.
            model_version=shown[i // 2] if i < 2 * VERSIONS else others[i % len(others)],
        )
        for i in range(DEPLOYMENTS)
    )
    return user, models[0]


def _measure(client, path: str) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path, HTTP_HOST="localhost")  # warm-up, not measured
    assert response.status_code == 200, (path, response.status_code)
    timings = []
    for _ in range(RENDERS):
        start = time.perf_counter()
        response = client.get(path, HTTP_HOST="localhost")
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(path, HTTP_HOST="localhost")
    return timings, len(queries)


def run(emit: Emit) -> None:
    setup_for_pages()
    from django.test import Client

    user, model = _records()
    client = Client()
    client.force_login(user)
    timings, queries = _measure(client, f"/models/{model.pk}/")
    emit("ui.model_p50_ms", statistics.median(timings), "ms")
    emit("ui.model_p95_ms", percentile(timings, 95), "ms")
    emit("ui.model_sql_queries", queries, "queries/page")
    timings, queries = _measure(client, "/models/")
    emit("ui.models_list_p95_ms", percentile(timings, 95), "ms")
    emit("ui.models_list_sql_queries", queries, "queries/page")
