"""docker-compose.yml, read by compose-go (the loader of `docker compose config`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.packaging.conftest import REPO_ROOT, VERSIONS, built

LONG_RUNNING = {"db", "redis", "prometheus", "web", "worker", "watcher", "beat"}


@pytest.fixture(scope="module")
def compose_check() -> Path:
    src = REPO_ROOT / "scripts/tools/compose-check"
    digest = subprocess.run(
        f"cat {src}/go.mod {src}/go.sum {src}/main.go | sha256sum | cut -c1-12",
        shell=True, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    return built(
        "compose-check", "compose-check", f"compose-check-{VERSIONS['COMPOSE_GO_VERSION']}-{digest}"
    )


def load(compose_check: Path, compose: Path, env_file: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    return subprocess.run(
        [str(compose_check), "--env-file", str(env_file), str(compose)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the checkout's Compose files, with .env made from .env.example as the
    README says (its two required values filled in)."""
    for name in ("deploy", "Dockerfile"):
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    (tmp_path / "docker-compose.yml").write_text((REPO_ROOT / "docker-compose.yml").read_text())
    return tmp_path


@pytest.fixture
def env_file(checkout: Path) -> Path:
    text = (REPO_ROOT / ".env.example").read_text()
    text = text.replace("SECRET_KEY=\n", "SECRET_KEY=" + "k" * 60 + "\n")
    text = text.replace("POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=pw\n")
    path = checkout / ".env"
    path.write_text(text)
    return path


def test_the_compose_file_is_valid_and_complete(compose_check, checkout, env_file):
    result = load(compose_check, checkout / "docker-compose.yml", env_file)
    assert result.returncode == 0, result.stderr
    project = yaml.safe_load(result.stdout)
    services = project["services"]
    assert set(services) == LONG_RUNNING | {"migrate"}
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for name in ("web", "worker", "watcher", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        ), name
    assert set(project["volumes"]) >= {"pgdata", "redisdata", "promdata"}
    web = services["web"]["environment"]
    assert web["DATABASE_URL"] == "postgres://gantry:pw@db:5432/gantry"
    assert services["web"]["read_only"] is True
    assert services["web"]["cap_drop"] == ["ALL"]


def test_every_variable_of_env_example_is_explained(env_file):
    lines = (REPO_ROOT / ".env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[i - 1].startswith("#"), f"{line.split('=')[0]} has no comment above it"


def test_the_loader_refuses_what_compose_would(compose_check, checkout, env_file):
    """The check is real: a misspelt key and a missing required variable both fail."""
    compose = checkout / "docker-compose.yml"
    original = compose.read_text()
    compose.write_text(original.replace("healthcheck:", "healthchek:", 1))
    result = load(compose_check, compose, env_file)
    assert result.returncode != 0
    assert "healthchek" in result.stderr, result.stderr

    compose.write_text(original)
    env_file.write_text(env_file.read_text().replace("POSTGRES_PASSWORD=pw\n", ""))
    result = load(compose_check, compose, env_file)
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr, result.stderr
