"""A Redis outage in the middle of API traffic: reads and writes keep answering, /readyz
says what is down, and once Redis is back the throttle and the broker use it again.

gunicorn serves the test database with a Redis of this test's own, which the test
stops and starts again on the same port. (tests/reconciler/test_redis_outage.py
follows a change accepted during the outage until the cluster runs it.)
"""

import time

import pytest
import redis
import requests

from apps.accounts.services import create_token
from apps.deployments.models import Deployment
from tests.servers import PrivateRedis, gunicorn, session_database_url

pytestmark = pytest.mark.django_db(transaction=True)

RECOVERY_WAIT_S = 60


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


class Traffic:
    """A client's reads and writes of one deployment, each answer's status kept."""

    def __init__(self, url: str, token: str, deployment: Deployment) -> None:
        self.url = url
        self.deployment = f"{url}/api/v1/deployments/{deployment.pk}/"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.answers: list[tuple[str, int, str]] = []

    def _keep(self, what: str, response: requests.Response) -> requests.Response:
        self.answers.append((what, response.status_code, response.text[:200]))
        return response

    def round(self, replicas: int) -> None:
        get = self.session.get
        self._keep("list", get(f"{self.url}/api/v1/deployments/", timeout=30))
        self._keep("read", get(self.deployment, timeout=30))
        scale = self.session.post(
            f"{self.deployment}scale/", json={"replicas": replicas}, timeout=30
        )
        self._keep(f"scale to {replicas}", scale)
        self._keep("events", get(f"{self.deployment}events/", timeout=30))

    def failures(self) -> list[tuple[str, int, str]]:
        return [answer for answer in self.answers if answer[1] >= 400]


def test_the_api_answers_through_a_redis_outage_and_uses_redis_again_after(
    private_redis, deployment, deployer, tmp_path
):
    token = create_token(actor=None, user=deployer, name="ci").plain
    env = {
        "DATABASE_URL": session_database_url(),
        "REDIS_URL": private_redis.url,
        "GANTRY_LOG_FILE": str(tmp_path / "gantry.log"),
    }
    broker = redis.Redis.from_url(private_redis.url)
    with gunicorn(env) as url:
        traffic = Traffic(url, token, deployment)
        traffic.round(replicas=2)

        private_redis.stop()
        for replicas in (3, 4, 5):
            traffic.round(replicas)
        ready = requests.get(f"{url}/readyz", timeout=30)

        private_redis.start()
        # The first requests after the restart may still count per process: each process
        # leaves Redis alone for a few seconds after a failure. Then both uses resume.
        deadline = time.monotonic() + RECOVERY_WAIT_S
        while not (broker.keys("gantry:throttle:*") and broker.llen("reconcile")):
            assert time.monotonic() < deadline, "the API never used Redis again after its return"
            traffic.round(replicas=6)
            time.sleep(0.5)

    assert traffic.failures() == []
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["redis"].startswith("redis unreachable")
    assert ready.json()["checks"]["database"] == "ok"
    record = Deployment.objects.get(pk=deployment.pk)
    assert record.replicas == 6
    log = (tmp_path / "gantry.log").read_text()
    assert "Redis is unreachable" in log
    assert f"could not queue a reconcile of deployment {deployment.pk}" in log
