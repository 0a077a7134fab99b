"""/healthz and /readyz, against the real database and Redis servers."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_without_touching_servers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.fixture
def stopped_redis_url(tmp_path):
    """The address of a real Redis server that has since been stopped."""
    script = ROOT / "scripts/services/redis.sh"
    url = subprocess.run(
        ["bash", script, "start", tmp_path / "redis"], check=True, capture_output=True, text=True
    ).stdout.strip()
    subprocess.run(["bash", script, "stop", tmp_path / "redis"], check=True)
    return url


@pytest.mark.django_db
def test_readyz_names_a_stopped_redis_but_stays_ready(client, settings, stopped_redis_url):
    settings.REDIS_URL = stopped_redis_url
    response = client.get("/readyz")
    # Redis down is degraded, not unready: taking every process out of the load balancer
    # would turn a cache and broker outage into a whole outage.
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("redis unreachable at redis://127.0.0.1:")
    assert body["degraded"] == [
        "redis: pages and the API still answer; changes are applied once it is back"
    ]
