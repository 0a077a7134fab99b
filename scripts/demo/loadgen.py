"""DEMO ONLY: made-up GPU and latency metrics for the demo deployments' pods.

`make run` has no GPUs and no model servers: its pods are simulated by KWOK. So
that a new user sees live dashboards within a minute, this process invents the
series a real cluster would have, for each running pod that Gantry manages
(label app.kubernetes.io/managed-by=gantry), and serves them for Prometheus:

  /metrics/dcgm     what dcgm-exporter exports: DCGM_FI_DEV_GPU_UTIL and
                    DCGM_FI_DEV_FB_USED per GPU, DCGM_FI_PROF_GR_ENGINE_ACTIVE per MIG
                    slice, labelled with the GPU's pod and namespace. make run's
                    Prometheus scrapes it as a dcgm-exporter pod, so those labels
                    arrive renamed to exported_pod/exported_namespace, as they often
                    do in real clusters.
  /metrics/serving  what model servers export: vLLM's
                    vllm:e2e_request_latency_seconds histogram for vLLM images, and
                    http_request_duration_seconds plus http_requests_total for the rest.

It sends no requests to anything and generates no load: the numbers are drawn
from smooth random curves. Never point a real Prometheus at it.

    python scripts/demo/loadgen.py --kubeconfig .gantry/cluster/kubeconfig --port 9400
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kubernetes import client, config

log = logging.getLogger("demo-loadgen")

MANAGED = "app.kubernetes.io/managed-by=gantry"
REFRESH_S = 15
VLLM_BOUNDS = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0)
HTTP_BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
FB_TOTAL_MIB = 81559


@dataclass
class FakePod:
    """One pod's invented behaviour, seeded by its name so restarts look alike."""

    namespace: str
    name: str
    node: str
    vllm: bool
    gpus: int
    mig_profile: str
    seed: int = 0
    # Cumulative counters, advanced at each scrape by the time since the last one.
    buckets: list[float] = field(default_factory=list)
    count: float = 0.0
    total_s: float = 0.0
    errors: float = 0.0
    last: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.seed = zlib.crc32(f"{self.namespace}/{self.name}".encode())
        self.buckets = [0.0] * len(self.bounds)

    @property
    def bounds(self) -> tuple[float, ...]:
        return VLLM_BOUNDS if self.vllm else HTTP_BOUNDS

    def _wave(self, now: float, period: float, offset: int) -> float:
        """A smooth value in [0, 1] that differs per pod."""
        phase = ((self.seed >> offset) % 1000) / 1000 * 2 * math.pi
        return 0.5 + 0.5 * math.sin(2 * math.pi * now / period + phase)

    def utilization(self, now: float, gpu: int) -> float:
        base = 25 + (self.seed % 50)
        value = base + 30 * self._wave(now, 600 + 60 * gpu, 3) - 15 + random.uniform(-4, 4)
        return max(0.0, min(100.0, value))

    def advance(self, now: float) -> None:
        """Requests served since the last scrape, spread over a log-normal latency."""
        elapsed, self.last = max(0.0, now - self.last), now
        per_second = 2 + 18 * self._wave(now, 900, 5)
        n = per_second * elapsed
        median = (0.6 if self.vllm else 0.03) * (1 + (self.seed % 5) / 4)
        sigma = 0.6
        for i, bound in enumerate(self.bounds):
            z = (math.log(bound) - math.log(median)) / sigma
            self.buckets[i] += n * 0.5 * (1 + math.erf(z / math.sqrt(2)))
        self.count += n
        self.total_s += n * median * math.exp(sigma**2 / 2)
        self.errors += n * (0.002 + 0.01 * self._wave(now, 1200, 7))


class Fleet:
    """The pods of the demo cluster, refreshed in the background."""

    def __init__(self, kubeconfig: str) -> None:
        self.api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
        self.pods: dict[tuple[str, str], FakePod] = {}
        self.lock = threading.Lock()

    def refresh(self) -> None:
        try:
            items = self.api.list_pod_for_all_namespaces(
                label_selector=MANAGED, _request_timeout=10
            ).items
        except Exception as exc:  # the demo cluster may be starting or stopping
            log.warning("cannot list pods: %s", exc)
            return
        seen = {}
        for pod in items:
            if pod.status.phase != "Running":
                continue
            key = (pod.metadata.namespace, pod.metadata.name)
            seen[key] = self.pods.get(key) or _fake(pod)
        with self.lock:
            self.pods = seen

    def run(self) -> None:
        while True:
            self.refresh()
            time.sleep(REFRESH_S)

    def snapshot(self) -> list[FakePod]:
        with self.lock:
            return list(self.pods.values())


def _fake(pod) -> FakePod:
    gpus, mig = 0, ""
    image = ""
    for container in pod.spec.containers:
        image = image or container.image or ""
        wanted = {**((container.resources and container.resources.limits) or {})}
        for resource, amount in wanted.items():
            if resource == "nvidia.com/gpu":
                gpus += int(amount)
            elif resource.startswith("nvidia.com/mig-"):
                gpus += int(amount)
                mig = resource.removeprefix("nvidia.com/mig-")
    return FakePod(
        namespace=pod.metadata.namespace,
        name=pod.metadata.name,
        node=pod.spec.node_name or "",
        vllm="vllm" in image,
        gpus=gpus,
        mig_profile=mig,
    )


def _labels(**labels: str) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels.items())


def dcgm_text(pods: list[FakePod], now: float) -> str:
    util, fb, engine = [], [], []
    for pod in pods:
        for gpu in range(pod.gpus):
            common = {
                "gpu": str(gpu),
                "UUID": f"GPU-{pod.seed:08x}-{gpu}",
                "Hostname": pod.node,
                "container": "server",
                "namespace": pod.namespace,
                "pod": pod.name,
            }
            busy = pod.utilization(now, gpu)
            if pod.mig_profile:
                mig = _labels(**common, GPU_I_ID=str(gpu + 1), GPU_I_PROFILE=pod.mig_profile)
                engine.append(f"DCGM_FI_PROF_GR_ENGINE_ACTIVE{{{mig}}} {busy / 100:.4f}")
                fb.append(f"DCGM_FI_DEV_FB_USED{{{mig}}} {int(9000 * (0.4 + busy / 200))}")
            else:
                util.append(f"DCGM_FI_DEV_GPU_UTIL{{{_labels(**common)}}} {busy:.0f}")
                used = int(FB_TOTAL_MIB * (0.35 + busy / 250))
                fb.append(f"DCGM_FI_DEV_FB_USED{{{_labels(**common)}}} {used}")
    return "\n".join(
        [
            "# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).",
            "# TYPE DCGM_FI_DEV_GPU_UTIL gauge",
            *util,
            "# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).",
            "# TYPE DCGM_FI_DEV_FB_USED gauge",
            *fb,
            "# HELP DCGM_FI_PROF_GR_ENGINE_ACTIVE Ratio of time the graphics engine is active.",
            "# TYPE DCGM_FI_PROF_GR_ENGINE_ACTIVE gauge",
            *engine,
            "",
        ]
    )


def serving_text(pods: list[FakePod], now: float) -> str:
    families: dict[str, list[str]] = {
        "vllm:e2e_request_latency_seconds": [],
        "http_request_duration_seconds": [],
    }
    requests_total = []
    for pod in pods:
        pod.advance(now)
        family = "vllm:e2e_request_latency_seconds" if pod.vllm else "http_request_duration_seconds"
        who = {"namespace": pod.namespace, "pod": pod.name}
        lines = families[family]
        for bound, value in zip(pod.bounds, pod.buckets, strict=True):
            lines.append(f'{family}_bucket{{{_labels(**who)},le="{bound:g}"}} {value:.3f}')
        lines.append(f'{family}_bucket{{{_labels(**who)},le="+Inf"}} {pod.count:.3f}')
        lines.append(f"{family}_sum{{{_labels(**who)}}} {pod.total_s:.3f}")
        lines.append(f"{family}_count{{{_labels(**who)}}} {pod.count:.3f}")
        for status, value in (("2xx", pod.count - pod.errors), ("5xx", pod.errors)):
            requests_total.append(
                f'http_requests_total{{{_labels(**who)},status="{status}"}} {value:.3f}'
            )
    out = []
    for family, lines in families.items():
        out += [f"# HELP {family} Request duration (DEMO: invented).", f"# TYPE {family} histogram"]
        out += lines
    out += [
        "# HELP http_requests_total Requests by status class (DEMO: invented).",
        "# TYPE http_requests_total counter",
        *requests_total,
        "",
    ]
    return "\n".join(out)


def serve(fleet: Fleet, port: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            now = time.time()
            if self.path == "/metrics/dcgm":
                body = dcgm_text(fleet.snapshot(), now)
            elif self.path == "/metrics/serving":
                body = serving_text(fleet.snapshot(), now)
            else:
                self.send_error(404, "try /metrics/dcgm or /metrics/serving")
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:  # scrapes every 15 s: keep the log quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    log.info("demo metrics on http://127.0.0.1:%d/metrics/{dcgm,serving}", port)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    fleet = Fleet(args.kubeconfig)
    fleet.refresh()
    threading.Thread(target=fleet.run, daemon=True).start()
    serve(fleet, args.port)


if __name__ == "__main__":
    main()
