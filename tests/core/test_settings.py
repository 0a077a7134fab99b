"""Production settings refuse to start when they would be unsafe."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _start_django(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _start_django(DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = _start_django(DEBUG="false", SECRET_KEY="short")
    assert "ImproperlyConfigured" in result.stderr


def test_secret_key_can_come_from_a_mounted_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("k" * 64 + "\n")
    result = _start_django(DEBUG="false", SECRET_KEY_FILE=str(secret))
    assert result.returncode == 0, result.stderr


def test_an_unreadable_secret_file_is_named_in_the_error(tmp_path):
    result = _start_django(DEBUG="false", SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert "SECRET_KEY_FILE" in result.stderr


def test_a_malformed_boolean_says_which_variable():
    result = _start_django(DEBUG="maybe")
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def _settings_value(expression: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    clean.update(SECRET_KEY="k" * 64, **env)
    program = (
        f"import django; django.setup(); from django.conf import settings; print(*[{expression}])"
    )
    return subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_database_url_can_come_from_a_mounted_file(tmp_path):
    secret = tmp_path / "database-url"
    secret.write_text("postgres://gantry:pw@db.internal:5433/gantry\n")
    result = _settings_value(
        "settings.DATABASES['default']['HOST'], settings.DATABASES['default']['PORT']",
        DATABASE_URL_FILE=str(secret),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "db.internal 5433"


def test_redis_url_can_come_from_a_mounted_file(tmp_path):
    secret = tmp_path / "redis-url"
    secret.write_text("redis://:pw@redis.internal:6380/2\n")
    result = _settings_value(
        "settings.CELERY_BROKER_URL == settings.CACHES['default']['LOCATION'] == settings.REDIS_URL"
        " == 'redis://:pw@redis.internal:6380/2'",
        REDIS_URL_FILE=str(secret),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_an_unreadable_database_url_file_is_named_in_the_error(tmp_path):
    result = _settings_value("1", DATABASE_URL_FILE=str(tmp_path / "missing"))
    assert "DATABASE_URL_FILE" in result.stderr
    assert "cannot be read" in result.stderr
