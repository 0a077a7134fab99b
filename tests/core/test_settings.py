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


def test_a_prometheus_url_that_is_not_http_stops_the_start_without_showing_its_password():
    result = _start_django(DEBUG="true", PROMETHEUS_URL="file://admin:s3cret@host/etc/passwd")
    assert result.returncode != 0
    assert (
        "PROMETHEUS_URL='file://***@host/etc/passwd' uses the scheme 'file'; "
        "only http:// and https:// are allowed"
    ) in result.stderr
    assert "s3cret" not in result.stderr


def test_a_mig_profile_without_a_share_of_a_gpu_stops_the_start():
    result = _start_django(DEBUG="true", GANTRY_MIG_PROFILES="1g.10gb,1g.12gb")
    assert result.returncode != 0
    assert "GANTRY_MIG_GPU_FRACTIONS has no share of a GPU for the MIG profile(s) 1g.12gb" in (
        result.stderr
    )


def test_a_share_outside_0_to_1_names_the_entry():
    result = _start_django(DEBUG="true", GANTRY_MIG_GPU_FRACTIONS="1g.10gb=7/1")
    assert result.returncode != 0
    assert "GANTRY_MIG_GPU_FRACTIONS: '1g.10gb=7/1' is not <name>=<fraction" in result.stderr


def test_mig_shares_are_exact_fractions_and_extend_the_defaults(monkeypatch):
    from fractions import Fraction

    from controlplane.envvars import env_fractions

    monkeypatch.setenv("TEST_SHARES", " 1g.12gb = 1/7 , 3g.40gb=1/2")
    assert env_fractions("TEST_SHARES") == {"1g.12gb": Fraction(1, 7), "3g.40gb": Fraction(1, 2)}
    result = _start_django(
        DEBUG="true", GANTRY_MIG_PROFILES="1g.10gb,1g.12gb", GANTRY_MIG_GPU_FRACTIONS="1g.12gb=1/7"
    )
    assert result.returncode == 0, result.stderr


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
