"""A PostgreSQL restart under steady API traffic: once it is back, no request fails.

gunicorn keeps a database connection per thread for up to a minute; Django's
connection health checks (CONN_HEALTH_CHECKS) replace one the restart broke
before a request uses it. The server is a PostgreSQL of this test's own, migrated
and seeded through the services, restarted on the same port.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest
import requests

from tests.servers import PrivatePostgres, gunicorn

CONCURRENCY = 8
REQUESTS_PER_BURST = 64


@pytest.fixture
def seeded_postgres(tmp_path):
    """(server, deployment id, token) on a migrated PostgreSQL of the test's own."""
    server = PrivatePostgres(tmp_path / "postgres")
    server.start()
    try:
        deployment_id, token = server.migrate_and_seed()
        yield server, deployment_id, token
    finally:
        server.destroy()


class Client:
    """API requests of one automation script: reads and scaling of one deployment."""

    def __init__(self, url: str, deployment_id: int, token: str) -> None:
        self.url = url
        self.deployment = f"{url}/api/v1/deployments/{deployment_id}/"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.calls = cycle(["list", "read", "scale", "events"])
        self.lock = threading.Lock()

    def one(self, n: int) -> tuple[str, int]:
        with self.lock:
            call = next(self.calls)
        if call == "list":
            r = requests.get(f"{self.url}/api/v1/deployments/", headers=self.headers, timeout=30)
        elif call == "read":
            r = requests.get(self.deployment, headers=self.headers, timeout=30)
        elif call == "scale":
            body = {"replicas": 1 + n % 3}
            r = requests.post(
                f"{self.deployment}scale/", json=body, headers=self.headers, timeout=30
            )
        else:
            r = requests.get(f"{self.deployment}events/", headers=self.headers, timeout=30)
        return call, r.status_code

    def burst(self) -> list[tuple[str, int]]:
        """Enough concurrent requests that every web thread serves some."""
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            return list(pool.map(self.one, range(REQUESTS_PER_BURST)))


def _failed(answers: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return [answer for answer in answers if answer[1] >= 400]


def test_no_request_fails_once_a_restarted_postgresql_is_back(seeded_postgres, tmp_path):
    server, deployment_id, token = seeded_postgres
    env = {"DATABASE_URL": server.url, "GANTRY_LOG_FILE": str(tmp_path / "gantry.log")}
    with gunicorn(env, workers=2, threads=4) as url:
        client = Client(url, deployment_id, token)
        before = client.burst()
        # Steady traffic meanwhile, one request at a time; what is answered while the
        # server is down may fail, what is sent after it is back may not.
        back = threading.Event()
        done = threading.Event()
        steady_after: list[tuple[str, int]] = []

        def steady() -> None:
            n = 0
            while not done.is_set():
                answer = client.one(n)
                if back.is_set():
                    steady_after.append(answer)
                n += 1

        background = threading.Thread(target=steady)
        background.start()
        try:
            server.stop()
            server.start()
            back.set()
            after = client.burst()
        finally:
            done.set()
            background.join(timeout=60)

    assert _failed(before) == [], "requests failed before the restart"
    assert _failed(after) == []
    assert _failed(steady_after) == []
