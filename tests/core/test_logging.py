"""Tracebacks of web processes reach the log file and stderr; local state is owner-only;
DEBUG's error page masks the servers' addresses."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.test import RequestFactory
from django.views.debug import technical_500_response

from tests.servers import free_port, gunicorn

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "k" * 64
SERVER_ADDRESSES = {
    "DATABASE_URL": "postgres://gantry:pg-secret-1@db:5432/gantry",
    "REDIS_URL": "redis://:redis-secret-2@redis:6379/0",
    "CELERY_BROKER_URL": "redis://:broker-secret-3@redis:6379/0",
    "PROMETHEUS_URL": "http://metrics:prom-secret-4@prometheus:9090",
}
CACHE_LOCATION = "redis://:cache-secret-5@redis:6379/0"
PASSWORDS = ["pg-secret-1", "redis-secret-2", "broker-secret-3", "prom-secret-4", "cache-secret-5"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_an_unhandled_error_of_a_web_process_is_logged_with_its_traceback(tmp_path, log_format):
    log_file = tmp_path / "logs" / "gantry.log"
    stderr_file = tmp_path / "stderr"
    # Nothing listens on this port: reading the session fails inside the view's request.
    env = {
        "DATABASE_URL": f"postgres://gantry@127.0.0.1:{free_port()}/gantry",
        "GANTRY_LOG_FILE": str(log_file),
        "LOG_FORMAT": log_format,
    }
    with stderr_file.open("w") as stderr, gunicorn(env, stderr=stderr) as url:
        response = requests.get(f"{url}/deployments/", cookies={"sessionid": "x" * 32}, timeout=30)
    assert response.status_code == 500

    text = log_file.read_text()
    assert "OperationalError" in text, text
    assert "Traceback (most recent call last)" in text or "Traceback" in json.dumps(text)
    if log_format == "json":
        records = [json.loads(line) for line in text.splitlines()]
        errors = [r for r in records if r["logger"] == "django.request" and r["level"] == "ERROR"]
        assert errors, records
        assert "OperationalError" in errors[0]["exc_info"]
        assert errors[0]["exc_info"].startswith("Traceback (most recent call last)")
    assert "OperationalError" in stderr_file.read_text()


def test_the_state_directory_sqlite_file_and_log_are_owner_only(tmp_path):
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GANTRY_LOG_FILE")}
    env.update(GANTRY_STATE_DIR=str(state), DEBUG="false", SECRET_KEY=SECRET_KEY)
    program = (
        "import os, logging, django; os.umask(0o022); django.setup()\n"
        "from django.db import connection\n"
        "connection.cursor().execute('SELECT 1')\n"
        "logging.getLogger('gantry.test').warning('hello')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr

    assert _mode(state) == 0o700
    assert _mode(state / "gantry.sqlite3") == 0o600
    assert _mode(state / "logs") == 0o700
    assert _mode(state / "logs" / "gantry.log") == 0o600
    assert "hello" in (state / "logs" / "gantry.log").read_text()


def test_the_debug_error_page_masks_server_addresses(settings):
    settings.DEBUG = True
    for name, value in SERVER_ADDRESSES.items():
        setattr(settings, name, value)
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": CACHE_LOCATION}}
    # The development server puts the environment into request.META too.
    request = RequestFactory().get("/boom", REDIS_URL=SERVER_ADDRESSES["REDIS_URL"])

    page = _debug_error_page(request)

    assert "RuntimeError" in page
    assert [p for p in PASSWORDS if p in page] == []
    assert "PROMETHEUS_URL" in page  # still listed, with its value masked


def _debug_error_page(request) -> str:
    """The page DEBUG shows for an error; this frame and its source hold no password."""
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        return technical_500_response(request, *sys.exc_info()).content.decode()
