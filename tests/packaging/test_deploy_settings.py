"""Production settings, as the chart sets them, pass `manage.py check --deploy`."""

from __future__ import annotations

import os
import subprocess

from tests.packaging.conftest import REPO_ROOT, by_kind


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    return subprocess.run(
        [str(REPO_ROOT / ".venv/bin/python"), "manage.py", "check", "--deploy",
         "--fail-level", "WARNING"],
        cwd=REPO_ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def chart_env(render, **values: str) -> dict[str, str]:
    (config,) = by_kind(render(values), "ConfigMap")
    return {
        **config["data"],
        "SECRET_KEY": "p" + "roduction-like-secret-key-" * 3,
        "DATABASE_URL": "postgres://gantry@127.0.0.1:1/gantry",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }


def test_the_charts_settings_pass_check_deploy_with_no_warning(render):
    result = check_deploy(
        chart_env(render, **{"ingress.enabled": "true", "ingress.host": "gantry.example.com"})
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout


def test_without_https_check_deploy_names_what_is_missing(render):
    result = check_deploy(chart_env(render, **{"https.enabled": "false"}))
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr, f"{warning} not reported:\n{result.stderr}"
