"""The chart, the image's settings and the Compose file, checked with real tools: Helm and
compose-go built from the Go module proxy into the cache (scripts/cluster/build.sh), the
local cluster's kube-apiserver for server-side dry-runs, installs and RBAC."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART = REPO_ROOT / "helm" / "gantry"
VERSIONS = dict(
    line.split("=", 1)
    for line in (REPO_ROOT / "scripts/cluster/versions.env").read_text().splitlines()
    if "=" in line and not line.startswith("#")
)
CACHE = Path.home() / ".cache" / "gantry"
KUBECTL = CACHE / f"kubernetes-{VERSIONS['KUBERNETES_VERSION']}" / "bin" / "kubectl"
# The Secret every install needs (README: created before `helm install`).
SECRET = "gantry-secrets"


def built(component: str, binary: str, directory: str) -> Path:
    """A binary from the cache, built from the Go module proxy on first use."""
    path = CACHE / directory / "bin" / binary
    if not path.exists():
        subprocess.run(["bash", str(REPO_ROOT / "scripts/cluster/build.sh"), component], check=True)
    return path


@pytest.fixture(scope="session")
def helm_bin() -> Path:
    return built("helm", "helm", f"helm-{VERSIONS['HELM_VERSION']}")


def run(*args: str | Path, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}")
    return result


def set_args(values: dict[str, str] | None) -> list[str]:
    return [arg for k, v in (values or {}).items() for arg in ("--set", f"{k}={v}")]


@pytest.fixture(scope="session")
def render(helm_bin: Path):
    """`render(values, namespace=...)`: the chart's objects as dicts (hooks included)."""

    def do(
        values: dict[str, str] | None = None, namespace: str = "gantry", *extra: str
    ) -> list[dict[str, Any]]:
        values = {"existingSecret": SECRET, **(values or {})}
        out = run(
            helm_bin,
            "template",
            "gantry",
            CHART,
            "--namespace",
            namespace,
            *set_args(values),
            *extra,
        ).stdout
        return [doc for doc in yaml.safe_load_all(out) if doc]

    return do


def kubectl(kubeconfig: str, *args: str, check: bool = True, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(KUBECTL), "--kubeconfig", kubeconfig, *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(f"kubectl {' '.join(args)} failed: {result.stderr}")
    return result.stdout if check else result.stdout + result.stderr


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]
