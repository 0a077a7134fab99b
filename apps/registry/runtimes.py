"""Serving runtime presets, as plain data shared by the registry and manifests.

A preset supplies the defaults a user would otherwise look up: the image, the
port the server listens on, the path of its readiness endpoint, and how the
server is told where the weights are. Servers never read the artifact URI
themselves: the pod puts the weights under /mnt/models (apps.deployments.storage)
and "{artifact}" in the arguments is that local path.
"""

from dataclasses import dataclass

from apps.registry.choices import Runtime


@dataclass(frozen=True)
class RuntimePreset:
    image: str
    port: int
    health_path: str
    # Container args; "{artifact}" (the weights' local path) and "{port}" are filled in
    # by manifests.
    args: tuple[str, ...]
    # Name of the request-duration histogram the runtime exports, for dashboards.
    latency_histogram: str


PRESETS: dict[str, RuntimePreset] = {
    Runtime.TRITON: RuntimePreset(
        image="nvcr.io/nvidia/tritonserver:24.08-py3",
        port=8000,
        health_path="/v2/health/ready",
        args=("tritonserver", "--model-repository={artifact}", "--http-port={port}"),
        latency_histogram="http_request_duration_seconds_bucket",
    ),
    Runtime.VLLM: RuntimePreset(
        image="vllm/vllm-openai:v0.6.3",
        port=8000,
        health_path="/health",
        args=("--model", "{artifact}", "--port", "{port}"),
        latency_histogram="vllm:e2e_request_latency_seconds_bucket",
    ),
    Runtime.MLSERVER: RuntimePreset(
        image="seldonio/mlserver:1.6.1",
        port=8080,
        health_path="/v2/health/ready",
        args=("mlserver", "start", "{artifact}"),
        latency_histogram="http_request_duration_seconds_bucket",
    ),
    Runtime.TORCHSERVE: RuntimePreset(
        image="pytorch/torchserve:0.12.0-gpu",
        port=8080,
        health_path="/ping",
        args=("torchserve", "--start", "--model-store", "{artifact}", "--foreground"),
        latency_histogram="http_request_duration_seconds_bucket",
    ),
    Runtime.CUSTOM: RuntimePreset(
        image="",
        port=8080,
        health_path="/healthz",
        args=("{artifact}",),
        latency_histogram="http_request_duration_seconds_bucket",
    ),
}
