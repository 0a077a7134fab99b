"""Gantry served by gunicorn in a subprocess, for tests that need real web processes.

A test may point it at servers of its own (a PostgreSQL or Redis it stops and
starts again) through `env`; the server is stopped when the `with` block ends.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import quote

import requests
from django.conf import settings

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def session_database_url() -> str:
    """The URL of the database this test session uses (pytest-django's test database)."""
    db = settings.DATABASES["default"]
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def gunicorn(
    env: dict[str, str], *, stderr: IO | None = None, workers: int = 1, threads: int = 4
) -> Iterator[str]:
    """Serve Gantry with `env` over the current environment; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [
            GUNICORN,
            "controlplane.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--log-level=warning",
        ],
        cwd=settings.BASE_DIR,
        env={**os.environ, **env},
        stderr=stderr,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            # The first answer imports the whole app, so allow it a while.
            if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {url} within {seconds} s")


class PrivateRedis:
    """A Redis server of one test's own (scripts/services/redis.sh), stopped and started
    again on the same port, as an outage and a recovery look to its clients."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def _script(self, *args: str) -> None:
        script = settings.BASE_DIR / "scripts" / "services" / "redis.sh"
        subprocess.run(["bash", str(script), *args], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._script("start", str(self.directory), str(self.port))

    def stop(self) -> None:
        self._script("stop", str(self.directory))


class PrivatePostgres:
    """A PostgreSQL server of one test's own (scripts/services/postgres.sh), restarted on
    the same port as an operator's restart looks to its clients."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"postgres://gantry@127.0.0.1:{self.port}/gantry"

    def _script(self, *args: str) -> None:
        script = settings.BASE_DIR / "scripts" / "services" / "postgres.sh"
        subprocess.run(["bash", str(script), *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._script("start", str(self.directory), str(self.port))

    def stop(self) -> None:
        self._script("stop", str(self.directory))

    def destroy(self) -> None:
        self._script("destroy", str(self.directory))

    def migrate_and_seed(self, kubeconfig: str = "", namespace: str = "dev") -> tuple[int, str]:
        """Migrate, then create a deployer's deployment through the services; returns its
        id and a token of the deployer. With `kubeconfig`, its cluster is that one."""
        self._python("manage.py", "migrate", "--noinput", "-v0")
        out = self._python("-c", SEED, SEED_KUBECONFIG=kubeconfig, SEED_NAMESPACE=namespace)
        deployment_id, token = out.split()
        return int(deployment_id), token

    def _python(self, *args: str, **env: str) -> str:
        result = subprocess.run(
            [sys.executable, *args],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DATABASE_URL": self.url, **env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} on {self.url} failed: {result.stderr}")
        return result.stdout


SEED = """
import os
import django
django.setup()
from apps.accounts.choices import Role
from apps.accounts.services import create_token
from apps.deployments import services
from tests import factories
team = factories.TeamFactory(name="nlp")
user = factories.member(team, Role.DEPLOYER, username="dara")
cluster = factories.ClusterFactory(name="local")
if os.environ["SEED_KUBECONFIG"]:
    cluster.kubeconfig_path = os.environ["SEED_KUBECONFIG"]
    cluster.save()
environment = factories.EnvironmentFactory(
    name="development", namespace=os.environ["SEED_NAMESPACE"], cluster=cluster
)
environment.teams.add(team)
version = factories.ModelVersionFactory(model__team=team)
deployment = services.create_deployment(
    actor=user, team=team, environment=environment, name="chat", model_version=version,
    cpu="500m", memory="1Gi",
)
print(deployment.pk, create_token(actor=None, user=user, name="ci").plain)
"""
