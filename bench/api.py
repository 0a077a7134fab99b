"""The REST API over 10,000 deployments in PostgreSQL, served by gunicorn on loopback.

api.get_rps, api.list_rps: throughput of GET /api/v1/deployments/{id}/ and of the
    list's first page with wrk, as many requests as eight keep-alive connections
    can make in WRK_S seconds.
api.get_p50_ms / api.get_p99_ms, api.list_p50_ms / api.list_p99_ms: latency of
    GET /api/v1/deployments/{id}/ and of the list's first page at a steady RATE
    requests per second for PACED_S seconds. The load is open-loop: each request
    has a scheduled start, and its latency counts from then, so a slow answer
    delays the count of the ones queued behind it (no coordinated omission).
    The goal is p99 <= 100 ms at 100 requests/s on the 2-core machine.
api.get_cpu_ms / api.list_cpu_ms: CPU time the server side (gunicorn's processes
    and their PostgreSQL backends) spends per request during those paced runs.
api.get_sql_queries / api.list_sql_queries: SQL statements of one request of
    each kind (with the token's last-use stamp already fresh), measured in
    process. They must not grow with the number of deployments: the same
    figures are taken with 100 deployments, and the bench fails if they differ.

Requests authenticate with a personal token, like automation does; the throttle
is raised so that it does not cap the measurement.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENTS = 10_000
OTHER_TEAM_SHARE = 0.1  # deployments of a team the caller is not in: scoping must skip them
RATE = 100
PACED_S = 20
WRK_S = 10

NAMES = [
    "api.get_rps",
    "api.list_rps",
    "api.get_p50_ms",
    "api.get_p99_ms",
    "api.list_p50_ms",
    "api.list_p99_ms",
    "api.get_cpu_ms",
    "api.list_cpu_ms",
    "api.get_sql_queries",
    "api.list_sql_queries",
]

Emit = Callable[[str, float, str], None]


def run(emit: Emit) -> None:
    _setup_django()
    _ensure_wrk()
    records = _records()
    token = records["token"]
    detail = f"/api/v1/deployments/{records['sample_id']}/"
    listing = "/api/v1/deployments/"

    get_queries = _sql_queries(detail, token)
    list_queries = _sql_queries(listing, token)
    _add_deployments(records, DEPLOYMENTS - records["count"])
    at_full = (_sql_queries(detail, token), _sql_queries(listing, token))
    if at_full != (get_queries, list_queries):
        raise SystemExit(
            f"SQL queries grew with the number of deployments: get {get_queries} -> "
            f"{at_full[0]}, list {list_queries} -> {at_full[1]}"
        )
    emit("api.get_sql_queries", at_full[0], "queries")
    emit("api.list_sql_queries", at_full[1], "queries")

    with _gunicorn() as server:
        base = server.base
        headers = {"Authorization": f"Bearer {token}"}
        _paced(base, detail, headers, rate=RATE, seconds=2)  # warm every worker and thread
        emit("api.get_rps", _wrk(base + detail, headers), "req/s")
        emit("api.list_rps", _wrk(base + listing, headers), "req/s")
        for name, path in (("get", detail), ("list", listing)):
            before = _server_cpu_s(server)
            latencies = _paced(base, path, headers, rate=RATE, seconds=PACED_S)
            cpu_s = _server_cpu_s(server, since=before)
            emit(f"api.{name}_p50_ms", statistics.median(latencies) * 1000, "ms")
            emit(f"api.{name}_p99_ms", _percentile(latencies, 99) * 1000, "ms")
            emit(f"api.{name}_cpu_ms", sum(cpu_s.values()) / len(latencies) * 1000, "ms")


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlplane.settings")
    os.environ["GANTRY_API_THROTTLE_RATE"] = "100000000/min"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    subprocess.run(
        ["bash", "-c", 'source "$0/scripts/lib.sh" && ensure_command wrk wrk', str(ROOT)],
        check=True,
    )


def _records() -> dict:
    """A deployer of one team with a token, and a first 100 deployments split over two teams."""
    from apps.accounts.choices import Role
    from apps.accounts.models import Membership, Team
    from apps.accounts.services import create_token
    from apps.clusters.models import Cluster, Environment
    from apps.registry.models import Model, ModelVersion
    from tests.factories import UserFactory

    user = UserFactory(username="bench-api")
    cluster = Cluster.objects.create(name="bench-api", kubeconfig_path="/dev/null")
    env = Environment.objects.create(name="production", cluster=cluster, namespace="bench")
    mine, theirs = (Team.objects.create(name=name) for name in ("bench-api", "bench-other"))
    env.teams.add(mine, theirs)
    Membership.objects.create(user=user, team=mine, role=Role.DEPLOYER)
    versions = {}
    for team in (mine, theirs):
        model = Model.objects.create(team=team, name="bench-model")
        versions[team.pk] = ModelVersion.objects.create(
            model=model, version="v1", artifact_uri="s3://models/bench/"
        )
    records = {
        "env": env,
        "teams": (mine, theirs),
        "versions": versions,
        "count": 0,
        "token": create_token(actor=None, user=user, name="bench").plain,
    }
    _add_deployments(records, 100)
    records["sample_id"] = mine.deployments.order_by("pk").values_list("pk", flat=True)[50]
    return records


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
                cpu="2",
                memory="16Gi",
                gpu_count=1,
                gpu_model="NVIDIA-L4",
                conditions=[
                    {
                        "type": "Available",
                        "status": "True",
                        "reason": "MinimumReplicasAvailable",
                        "message": "Deployment has minimum availability.",
                    }
                ],
            )
        )
    Deployment.objects.bulk_create(rows, batch_size=1000)
    records["count"] = start + count
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would: real row counts in plans


def _sql_queries(path: str, token: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="localhost")
    assert client.get(path).status_code == 200  # stamps the token's last use first
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries)


class _gunicorn:
    """gunicorn with the settings production uses, on a free loopback port, for the `with` block."""

    def __enter__(self) -> _gunicorn:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "controlplane.wsgi",
                "--config=python:controlplane.gunicorn_conf",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
        )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.process.terminate()
        raise SystemExit("gunicorn did not start within 60 s")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _server_cpu_s(server: _gunicorn, since: dict[int, float] | None = None) -> dict[int, float]:
    """CPU seconds used by gunicorn's processes and their PostgreSQL backends, by pid;
    with `since`, what each used after that earlier reading."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids = {row[0] for row in cursor.fetchall()}
    pids |= {server.process.pid, *_children(server.process.pid)}
    used = {pid: _cpu_s(pid) for pid in pids}
    if since is None:
        return used
    return {pid: seconds - since.get(pid, 0.0) for pid, seconds in used.items()}


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone since it was listed
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, headers: dict[str, str]) -> float:
    args = ["wrk", "--threads=2", "--connections=8", f"--duration={WRK_S}s", "--latency"]
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]
    output = subprocess.run(
        [*args, url], capture_output=True, text=True, check=True, timeout=WRK_S + 60
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"wrk saw failed requests:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def _paced(base: str, path: str, headers: dict[str, str], *, rate: float, seconds: float):
    """Latencies (s) of rate x seconds GETs, each timed from its scheduled start."""
    host, port = base.removeprefix("http://").split(":")
    total = int(rate * seconds)
    begin = time.perf_counter() + 0.2
    latencies: list[float] = []
    failures: list[str] = []
    counter = iter(range(total))
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            scheduled = begin + index / rate
            time.sleep(max(0.0, scheduled - time.perf_counter()))
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - scheduled
            with lock:
                latencies.append(elapsed)
                if response.status != 200:
                    failures.append(str(response.status))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} of {total} requests failed, e.g. HTTP {failures[0]}")
    return latencies


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * len(ordered)) - 1)]
