"""Manifests and bounded polling for the tests of the local cluster."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
H100 = "NVIDIA-H100-80GB-HBM3"
A100 = "NVIDIA-A100-SXM4-80GB"


def wait_for(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    what: str,
    timeout: float = 60.0,
    interval: float = 0.25,
) -> T:
    """Poll `fetch()` until `done(value)`; fail naming `what` and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {timeout:.0f} s waiting for {what}; last seen: {_brief(value)}"
            )
        time.sleep(interval)


def _brief(value: object) -> str:
    """An API object's status (its metadata and spec are rarely the news), shortened."""
    shown = getattr(value, "status", None) or value
    text = str(shown)
    return text if len(text) <= 3000 else text[:3000] + " ..."


def container(
    image: str = "gantry/model-server:v1",
    *,
    gpus: int = 0,
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    limits = dict(extra or {})
    if gpus:
        limits["nvidia.com/gpu"] = str(gpus)
    resources: dict[str, Any] = {"requests": {"cpu": "100m", "memory": "128Mi"}}
    if limits:
        resources["limits"] = limits
    return {"name": "server", "image": image, "resources": resources}


def pod_spec(
    image: str = "gantry/model-server:v1",
    *,
    gpus: int = 0,
    extra: dict[str, str] | None = None,
    product: str | None = None,
    tolerate_gpu: bool | None = None,
) -> dict[str, Any]:
    """A pod spec; GPU pods tolerate the GPU taint unless `tolerate_gpu=False`."""
    spec: dict[str, Any] = {
        "containers": [container(image, gpus=gpus, extra=extra)],
        "terminationGracePeriodSeconds": 0,
    }
    if tolerate_gpu if tolerate_gpu is not None else bool(gpus or extra):
        spec["tolerations"] = [GPU_TOLERATION]
    if product:
        spec["nodeSelector"] = {"nvidia.com/gpu.product": product}
    return spec


def pod(name: str, **kwargs: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": pod_spec(**kwargs),
    }


def deployment(name: str, replicas: int = 1, **kwargs: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec(**kwargs)},
        },
    }


def condition(obj: Any, kind: str) -> Any:
    """The condition of type `kind` in obj.status.conditions, or None."""
    for cond in (obj.status and obj.status.conditions) or []:
        if cond.type == kind:
            return cond
    return None
