"""The fleet overview over 500 and 5,000 deployments, against a real Prometheus with
backfilled data.

dashboards.fleet_prometheus_queries: queries the Prometheus server answered for one
    fleet page, as it counts them itself (prometheus_http_requests_total); the goal
    is at most one per panel, whatever the number of deployments.
dashboards.fleet_panels: panels on that page.
dashboards.fleet_render_p50_ms / _p95_ms: server time of GET /fleet/?range=1h, from
    the request to the rendered page, with the answer cache emptied before each
    request, so every render asks Prometheus (a cached render skips that). Goal: 250 ms.
dashboards.fleet5k_render_p95_ms: the same at 5,000 deployments (a Prometheus of its
    own, data of the same shape). Goal: 1,000 ms.

Each deployment has one pod with a GPU-utilization gauge, a request-duration
histogram, and kube-state-metrics' GPU request and phase, every 30 s for 75 min
(65 min at 5,000 deployments, which still covers the 1 h range and its rate
windows, and keeps the backfill short).
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench._django import setup_for_pages
from bench._gantry import percentile

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENTS = 500
RENDERS = 25
INTERVAL_S = 30
MINUTES = 75
LARGE_DEPLOYMENTS = 5_000
LARGE_RENDERS = 10
LARGE_MINUTES = 65

NAMES = [
    "dashboards.fleet_prometheus_queries",
    "dashboards.fleet_panels",
    "dashboards.fleet_render_p50_ms",
    "dashboards.fleet_render_p95_ms",
    "dashboards.fleet5k_render_p95_ms",
]

Emit = Callable[[str, float, str], None]


def _setup_django() -> None:
    # The generated samples are 30 s apart: rate() windows need at least four of them.
    os.environ.setdefault("PROMETHEUS_RATE_WINDOW_S", "120")
    setup_for_pages()


def _records(prometheus_url: str, count: int, suffix: str = ""):
    """A user in two teams, and `count` deployments split between them and runtimes."""
    from apps.accounts.choices import Role
    from apps.accounts.models import Membership, Team
    from apps.clusters.models import Cluster, Environment
    from apps.deployments.models import Deployment
    from apps.quotas.models import Quota
    from apps.registry.models import Model, ModelVersion
    from tests.factories import UserFactory

    user = UserFactory(username=f"bench-viewer{suffix}")
    cluster = Cluster.objects.create(
        name=f"bench{suffix}", kubeconfig_path="/dev/null", prometheus_url=prometheus_url
    )
    env = Environment.objects.create(
        name=f"production{suffix}", cluster=cluster, namespace=f"prod{suffix}"
    )
    teams = [Team.objects.create(name=name + suffix) for name in ("nlp", "vision")]
    env.teams.add(*teams)
    versions = {}
    for team in teams:
        Membership.objects.create(user=user, team=team, role=Role.VIEWER)
        Quota.objects.create(team=team, gpus_total=count)
        model = Model.objects.create(team=team, name="bench-model")
        for runtime in ("vllm", "triton"):
            versions[team.pk, runtime] = ModelVersion.objects.create(
                model=model, version=runtime, artifact_uri="s3://models/bench/", runtime=runtime
            )
    rows = []
    for i in range(count):
        team = teams[i % 2]
        runtime = "vllm" if i % 3 else "triton"
        rows.append(
            Deployment(
                team=team,
                environment=env,
                name=f"model-{i:03d}",
                model_version=versions[team.pk, runtime],
                gpu_count=1,
            )
        )
    Deployment.objects.bulk_create(rows, batch_size=1000)
    return user, [(d.namespace, d.name, d.model_version.runtime) for d in rows]


def _series(deployments: list[tuple[str, str, str]], end: float, minutes: int = MINUTES) -> list:
    from tests.fixtures.prometheus import gauge, histogram, timestamps

    t = timestamps(end - minutes * 60, end, INTERVAL_S)
    out = []
    for i, (ns, name, runtime) in enumerate(deployments):
        pod = f"{name}-5d8f9c7b6-x{i:04d}"
        labels = {"namespace": ns, "pod": pod}
        out.append(gauge("DCGM_FI_DEV_GPU_UTIL", {**labels, "gpu": "0"}, i % 100, t))
        metric = (
            "vllm:e2e_request_latency_seconds"
            if runtime == "vllm"
            else "http_request_duration_seconds"
        )
        slow = 1 + (i % 7 == 0)  # a few outliers
        buckets = {"0.1": 5.0 / slow, "0.5": 9.0 / slow, "2.5": 10.0, "+Inf": 10.0}
        out += histogram(metric, labels, buckets, t)
        ksm = {**labels, "job": "kube-state-metrics"}
        out.append(
            gauge(
                "kube_pod_container_resource_requests",
                {**ksm, "container": "server", "resource": "nvidia_com_gpu", "unit": "integer"},
                1,
                t,
            )
        )
        out.append(gauge("kube_pod_status_phase", {**ksm, "phase": "Running"}, 1, t))
    return out


def run(emit: Emit) -> None:
    _setup_django()
    user, deployments = _records("http://127.0.0.1:1", DEPLOYMENTS)
    # Shown: the busiest HEATMAP_ROWS; the figure says how many more hold GPUs.
    timings, queries, panels = _measure(user, deployments, "bench", MINUTES, RENDERS)
    emit("dashboards.fleet_prometheus_queries", max(queries), "queries/page")
    emit("dashboards.fleet_panels", panels, "panels")
    emit("dashboards.fleet_render_p50_ms", statistics.median(timings), "ms")
    emit("dashboards.fleet_render_p95_ms", percentile(timings, 95), "ms")
    user, deployments = _records("http://127.0.0.1:1", LARGE_DEPLOYMENTS, suffix="5k")
    timings, queries, _ = _measure(user, deployments, "bench5k", LARGE_MINUTES, LARGE_RENDERS)
    assert max(queries) == panels, f"{max(queries)} queries at 5,000 deployments"
    emit("dashboards.fleet5k_render_p95_ms", percentile(timings, 95), "ms")


def _measure(
    user, deployments: list, cluster: str, minutes: int, renders: int
) -> tuple[list[float], list[int], int]:
    """Render times and Prometheus queries of `renders` fleet pages, cache emptied each time."""
    from django.core.cache import cache
    from django.test import Client

    from apps.clusters.models import Cluster
    from apps.monitoring import services
    from apps.monitoring.fleet import HEATMAP_ROWS
    from tests.fixtures.prometheus import data_end, start_prometheus, stop_prometheus

    directory = ROOT / ".gantry" / f"{cluster}-prometheus"
    shutil.rmtree(directory, ignore_errors=True)
    end = data_end()
    server = start_prometheus(directory, _series(deployments, end, minutes), end)
    try:
        Cluster.objects.filter(name=cluster).update(prometheus_url=server.url)
        client = Client()
        client.force_login(user)
        # One warm-up render (imports, connections), not measured.
        cache.clear()
        response = client.get("/fleet/?range=1h", HTTP_HOST="localhost")
        assert response.status_code == 200, response.status_code
        page = response.content.decode()
        assert "panel-error" not in page, "a fleet panel reported an error"

        timings, queries = [], []
        for _ in range(renders):
            cache.clear()
            before = server.queries()
            start = time.perf_counter()
            response = client.get("/fleet/?range=1h", HTTP_HOST="localhost")
            timings.append((time.perf_counter() - start) * 1000)
            queries.append(server.queries() - before)
            assert response.status_code == 200
        dashboard = services.fleet_dashboard(user, "1h")
        heatmap = next(p for p in dashboard.panels if p.key == "fleet_gpu_util")
        rows = len(heatmap.figure["data"][0]["y"])
        shown = min(HEATMAP_ROWS, len(deployments))
        assert rows == shown, f"the heatmap shows {rows} rows, not {shown}"
        more = f"{len(deployments) - shown:,} more deployments hold GPUs"
        assert more in str(heatmap.figure["layout"]), f"the heatmap does not say '{more}'"
        return timings, queries, len(dashboard.panels)
    finally:
        stop_prometheus(server)
        shutil.rmtree(directory, ignore_errors=True)
