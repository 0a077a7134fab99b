"""A PostgreSQL restart under steady API traffic and reconcile work: once it is back no
request fails and no reconcile is lost.

Web process, Celery worker and beat all use a PostgreSQL of this test's own, which
it restarts on the same port while a client keeps scaling a deployment; the last
generation asked for must reach the cluster.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
from kubernetes import client as k8s

from tests.servers import PrivatePostgres, gunicorn

pytestmark = [pytest.mark.cluster]

CONVERGE_WAIT_S = 180
REQUESTS_AFTER = 40


@pytest.fixture
def seeded(kube_cluster, tmp_path):
    server = PrivatePostgres(tmp_path / "postgres")
    server.start()
    prefix = f"p{uuid.uuid4().hex[:8]}"
    try:
        deployment_id, token = server.migrate_and_seed(kube_cluster.kubeconfig, prefix)
        yield server, deployment_id, token, f"{prefix}-nlp"
    finally:
        server.destroy()
        with kube_cluster.api_client() as api:
            try:
                k8s.CoreV1Api(api).delete_namespace(f"{prefix}-nlp")
            except k8s.ApiException as exc:
                if exc.status != 404:
                    raise


def _wait_applied(url: str, deployment_id: int, token: str, log) -> dict:
    deadline = time.monotonic() + CONVERGE_WAIT_S
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        body = requests.get(
            f"{url}/api/v1/deployments/{deployment_id}/", headers=headers, timeout=30
        ).json()
        if body.get("observed_generation") == body.get("generation"):
            return body
        if time.monotonic() > deadline:
            pytest.fail(
                f"generation {body.get('generation')} never applied (observed "
                f"{body.get('observed_generation')}); worker log:\n{log.read_text()[-3000:]}"
            )
        time.sleep(0.5)


def test_no_request_fails_and_no_reconcile_is_lost_across_a_postgresql_restart(
    seeded, start_worker, kube_cluster, settings, tmp_path
):
    server, deployment_id, token, namespace = seeded
    log = start_worker(
        "--queues", "reconcile,resync", "--beat", "--schedule", str(tmp_path / "beat"),
        DATABASE_URL=server.url,
        GANTRY_RESYNC_INTERVAL_S="5",
    )  # fmt: skip
    env = {
        "DATABASE_URL": server.url,
        "GANTRY_INSTALLATION": settings.GANTRY_INSTALLATION,
        "GANTRY_LOG_FILE": str(tmp_path / "gantry.log"),
    }
    scale_url = f"/api/v1/deployments/{deployment_id}/scale/"
    headers = {"Authorization": f"Bearer {token}"}
    with gunicorn(env, workers=2, threads=4) as url:
        _wait_applied(url, deployment_id, token, log)
        back = threading.Event()
        done = threading.Event()
        after: list[tuple[int, int, str]] = []

        def steady() -> None:
            n = 0
            while not done.is_set():
                replicas = 1 + n % 3
                r = requests.post(url + scale_url, json={"replicas": replicas}, headers=headers)
                if back.is_set():
                    after.append((replicas, r.status_code, r.text[:200]))
                n += 1
                time.sleep(0.1)

        traffic = threading.Thread(target=steady)
        traffic.start()
        try:
            server.stop()
            server.start()
            back.set()
            while len(after) < REQUESTS_AFTER and traffic.is_alive():
                time.sleep(0.2)
        finally:
            done.set()
            traffic.join(timeout=60)
        final = requests.post(url + scale_url, json={"replicas": 2}, headers=headers, timeout=30)
        applied = _wait_applied(url, deployment_id, token, log)

    assert [a for a in after if a[1] >= 400] == []
    assert final.status_code == 200, final.text
    assert applied["replicas"] == 2
    with kube_cluster.api_client() as api:
        live = k8s.AppsV1Api(api).read_namespaced_deployment("chat", namespace)
    assert live.spec.replicas == 2
