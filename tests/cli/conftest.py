"""The `gantry` command run as a user runs it: the installed console script in a
subprocess, against Gantry served by gunicorn on the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.cache import cache

from apps.accounts.services import create_token
from tests.servers import gunicorn, session_database_url

GANTRY = str(Path(sys.executable).with_name("gantry"))


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[str]:
    """Gantry under gunicorn; tests that use it need `transactional_db`."""
    env = {"DATABASE_URL": session_database_url(), "GANTRY_API_THROTTLE_RATE": "1000000/min"}
    with gunicorn(env, workers=1, threads=4) as url:
        yield url


@pytest.fixture
def token_of() -> Callable[..., str]:
    def make(user, **kwargs) -> str:
        return create_token(actor=None, user=user, name="cli", **kwargs).plain

    return make


@pytest.fixture
def gantry(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """gantry(*args, input=None, env={}) -> the finished process (text stdout, stderr).

    Its config lives in a folder of the test's own; GANTRY_* from the test's
    environment are left out unless given in `env`.
    """
    home = tmp_path / "config"

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        base = {k: v for k, v in os.environ.items() if not k.startswith("GANTRY_")}
        return subprocess.run(
            [GANTRY, *args],
            input=input or "",
            capture_output=True,
            text=True,
            timeout=300,
            env={**base, "XDG_CONFIG_HOME": str(home), "COLUMNS": "200", **(env or {})},
            check=False,
        )

    run.config_home = home  # type: ignore[attr-defined]
    return run
