"""The local Kubernetes control plane: how fast it starts, what it costs at rest.

cluster.warm_start_s: with the binaries cached and the cluster down, the wall time of
scripts/cluster/up.sh until the API is ready and every simulated node is Ready.
cluster.rss_mib.<component>: resident memory of each process after REST_S seconds idle.
cluster.cache_mib: disk used by the pinned binaries of the cluster in the build cache.

The bench runs its own cluster, from .gantry/bench-cluster/ (GANTRY_CLUSTER_STATE), so
that the development cluster in .gantry/cluster/, and any tests using it, are left
alone. Its first run primes that directory (certificates, ports) untimed, so the timed
start is a warm one like a developer's second `make cluster`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts" / "cluster"
COMPONENTS = [
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok",
    "pod-logs",
]
REST_S = 15.0

NAMES = [
    "cluster.warm_start_s",
    *(f"cluster.rss_mib.{c}" for c in COMPONENTS),
    "cluster.cache_mib",
]

Emit = Callable[[str, float, str], None]


BENCH_STATE = ROOT / ".gantry" / "bench-cluster"


def _script(name: str, *args: str) -> str:
    env = {**os.environ, "GANTRY_CLUSTER_STATE": str(BENCH_STATE)}
    return subprocess.run(
        ["bash", str(SCRIPTS / name), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        check=True,
        timeout=3600,
        env=env,
    ).stdout


def _pids() -> dict[str, int]:
    pids = {}
    for line in _script("component.sh", "status").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "running":
            pids[parts[0]] = int(parts[2].removeprefix("pid="))
    return pids


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cache_dirs() -> list[Path]:
    versions = dict(
        line.split("=", 1)
        for line in (SCRIPTS / "versions.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    cache = Path(os.environ.get("GANTRY_CACHE", Path.home() / ".cache" / "gantry"))
    return [
        cache / f"kubernetes-{versions['KUBERNETES_VERSION']}",
        cache / f"etcd-{versions['ETCD_VERSION']}",
        cache / f"kwok-{versions['KWOK_VERSION']}",
    ]


def _disk_mib(paths: list[Path]) -> float:
    total = 0
    for path in paths:
        for f in path.rglob("*"):
            if f.is_file():
                total += f.stat().st_blocks * 512
    return total / 2**20


def run(emit: Emit) -> None:
    # not timed: binaries cached, certificates made, so the start below is a warm one
    _script("build.sh")
    if not (BENCH_STATE / "pki" / "ca.crt").is_file():
        _script("up.sh")
    _script("down.sh")
    try:
        start = time.perf_counter()
        _script("up.sh")
        emit("cluster.warm_start_s", time.perf_counter() - start, "s")

        time.sleep(REST_S)
        for name, pid in _pids().items():
            emit(f"cluster.rss_mib.{name}", _rss_mib(pid), "MiB")
        emit("cluster.cache_mib", _disk_mib(_cache_dirs()), "MiB")
    finally:
        _script("down.sh")
