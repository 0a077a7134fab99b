"""The deployments list page (/deployments/) over 10,000 deployments in PostgreSQL.

ui.fleet_p50_ms / ui.fleet_p95_ms: server time of the list's first page (Django's
    whole request: session, scoping, the keyset page, the filter form, the template),
    measured in process so that no network or client time is counted.
ui.fleet_filtered_p95_ms: the same, filtered by state, condition and a name search.
ui.fleet_deep_p95_ms: the same, at a cursor 8,500 rows into the list.
ui.fleet_sql_queries: SQL statements of one first-page request. They must not grow
    with the number of deployments: the figure is taken at 100 deployments too, and
    the bench fails if the figures differ. The goal is p95 <= 150 ms.

10 % of the deployments belong to a team the viewer is not in, so scoping must skip them.
"""

from __future__ import annotations

import base64
import json
import statistics
import time
from collections.abc import Callable

from bench._django import setup_for_pages
from bench._gantry import percentile

DEPLOYMENTS = 10_000
OTHER_TEAM_SHARE = 0.1
REQUESTS = 60
LIST = "/deployments/"
FILTERED = "/deployments/?state=running&condition=not_available&name=12"

NAMES = [
    "ui.fleet_p50_ms",
    "ui.fleet_p95_ms",
    "ui.fleet_sql_queries",
    "ui.fleet_filtered_p95_ms",
    "ui.fleet_deep_p95_ms",
]

Emit = Callable[[str, float, str], None]


def run(emit: Emit) -> None:
    setup_for_pages()
    records = _records()
    client = _client(records["user"])
    small = {path: _sql_queries(client, path) for path in (LIST, FILTERED)}
    _add_deployments(records, DEPLOYMENTS - records["count"])
    deep = _deep_path(records)
    full = {path: _sql_queries(client, path) for path in (LIST, FILTERED)}
    if full != small:
        raise SystemExit(f"SQL queries grew with the number of deployments: {small} -> {full}")
    emit("ui.fleet_sql_queries", full[LIST], "queries")

    first = _timings(client, LIST)
    emit("ui.fleet_p50_ms", statistics.median(first), "ms")
    emit("ui.fleet_p95_ms", percentile(first, 95), "ms")
    emit("ui.fleet_filtered_p95_ms", percentile(_timings(client, FILTERED), 95), "ms")
    emit("ui.fleet_deep_p95_ms", percentile(_timings(client, deep), 95), "ms")


def _records() -> dict:
    from apps.accounts.choices import Role
    from apps.accounts.models import Membership, Team
    from apps.clusters.models import Cluster, Environment
    from apps.registry.models import Model, ModelVersion
    from tests.factories import UserFactory

    user = UserFactory(username="bench-fleet")
    cluster = Cluster.objects.create(name="bench-fleet", kubeconfig_path="/dev/null")
    env = Environment.objects.create(name="production", cluster=cluster, namespace="bench-fleet")
    mine, theirs = (Team.objects.create(name=name) for name in ("bench-fleet", "bench-fleet-other"))
    env.teams.add(mine, theirs)
    Membership.objects.create(user=user, team=mine, role=Role.VIEWER)
    versions = {}
    for team in (mine, theirs):
        model = Model.objects.create(team=team, name="bench-model")
        versions[team.pk] = ModelVersion.objects.create(
            model=model, version="v1", artifact_uri="s3://models/bench/"
        )
    records = {"user": user, "env": env, "teams": (mine, theirs), "versions": versions, "count": 0}
    _add_deployments(records, 100)
    return records


# A fleet's mix: most available, some degraded or rolling out.
_CONDITIONS = [
    [{"type": "Available", "status": "True", "reason": "AllReplicasReady", "message": ""}],
    [{"type": "Available", "status": "True", "reason": "AllReplicasReady", "message": ""}],
    [{"type": "Available", "status": "True", "reason": "AllReplicasReady", "message": ""}],
    [
        {"type": "Available", "status": "False", "reason": "CrashLoopBackOff", "message": ""},
        {"type": "Degraded", "status": "True", "reason": "CrashLoopBackOff", "message": ""},
    ],
    [
        {"type": "Available", "status": "False", "reason": "Creating", "message": ""},
        {"type": "Progressing", "status": "True", "reason": "RolloutInProgress", "message": ""},
    ],
]


def _add_deployments(records: dict, count: int) -> None:
    from django.db import connection

    from apps.deployments.models import Deployment

    mine, theirs = records["teams"]
    start = records["count"]
    rows = []
    for i in range(start, start + count):
        team = theirs if i % round(1 / OTHER_TEAM_SHARE) == 0 else mine
        rows.append(
            Deployment(
                team=team,
                environment=records["env"],
                name=f"d{i:05d}",
                model_version=records["versions"][team.pk],
                replicas=1 + i % 4,
                gpu_count=i % 3,
                gpu_model="NVIDIA-L4" if i % 3 else "",
                state="stopped" if i % 17 == 0 else "running",
                conditions=_CONDITIONS[i % len(_CONDITIONS)],
            )
        )
    Deployment.objects.bulk_create(rows, batch_size=1000)
    records["count"] = start + count
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would: real row counts in plans


def _deep_path(records: dict) -> str:
    """The list's default order (newest first) from its 8,500th visible row on (of 9,000)."""
    from apps.deployments.models import Deployment

    row = (
        Deployment.objects.visible_to(records["user"])
        .order_by("-created_at", "-id")
        .values("created_at", "id")[8500]
    )
    payload = {"o": "-created_at,-id", "p": [row["created_at"].isoformat(), row["id"]], "b": False}
    token = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{LIST}?cursor={token.decode().rstrip('=')}"


def _client(user):
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _sql_queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def _timings(client, path: str) -> list[float]:
    for _ in range(5):  # warm the connection and the template cache
        client.get(path)
    timings = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.content[:500]
        assert b'<th scope="row">' in response.content, f"{path} showed no rows"
    return timings
