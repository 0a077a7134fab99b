"""Known series in a real Prometheus, and the deployments they belong to.

Every value is chosen so the expected answer is exact: three pods at 30, 60 and
90 % (mean 60, max 90), histograms whose p95 falls at a known point of a
bucket, a constant error share. See `dataset()`.
"""

from typing import Any

import pytest
from django.core.cache import cache

from apps.deployments.models import Deployment
from apps.registry.models import ModelVersion
from tests import factories
from tests.fixtures.prometheus import counter, gauge, histogram, timestamps

NS = "dev-nlp"
NS_VISION = "dev-vision"
HOURS = 3

LLAMA_PODS = {"llama-5d8f9c7b6-aaaaa": 30, "llama-5d8f9c7b6-bbbbb": 60, "llama-5d8f9c7b6-ccccc": 90}
LLAMA_FB_MIB = {
    "llama-5d8f9c7b6-aaaaa": 1024,
    "llama-5d8f9c7b6-bbbbb": 2048,
    "llama-5d8f9c7b6-ccccc": 3072,
}
CANARY_POD = "llama-canary-7f9b8c6d5-zzzzz"
# bert: one pod seen directly, one through a scrape that renamed the labels to exported_*.
BERT_EXPORTED_POD, BERT_DIRECT_POD = "bert-6c9f8d7b5-ddddd", "bert-6c9f8d7b5-eeeee"
WHISPER_POD = "whisper-8b7c6d5f4-fffff"
SIDECAR_POD = "sidecar-proxy-6d5c4b3a2-ggggg"  # in a team namespace, not Gantry's
YOLO_POD = "yolo-5c4b3a2d1-hhhhh"

# Observations per second at or below each bound (cumulative), per pod.
VLLM_BUCKETS = {"0.1": 50, "0.25": 80, "0.5": 90, "1": 100, "+Inf": 100}
# Two llama pods serve: 200 req/s in all. p50 = 0.1, p95 = 0.5 + 0.5 * 5/10, p99 = 0.5 + 0.5 * 9/10.
LLAMA_P50, LLAMA_P95, LLAMA_P99 = 0.1, 0.75, 0.95
HTTP_BUCKETS = {"0.05": 10, "0.1": 20, "0.2": 40, "+Inf": 40}
# p95: rank 38 of 40, in (0.1, 0.2] between 20 and 40: 0.1 + 0.1 * 18/20.
BERT_P95 = 0.19
KSM = {"job": "kube-state-metrics", "instance": "10.0.0.9:8080"}


def dataset(end: float) -> list:
    t = timestamps(end - HOURS * 3600, end)
    out = []

    def util(pod, value, ns=NS, **extra):
        out.append(
            gauge(
                "DCGM_FI_DEV_GPU_UTIL", {"namespace": ns, "pod": pod, "gpu": "0", **extra}, value, t
            )
        )

    for pod, value in LLAMA_PODS.items():
        util(pod, value)
        out.append(
            gauge(
                "DCGM_FI_DEV_FB_USED",
                {"namespace": NS, "pod": pod, "gpu": "0"},
                LLAMA_FB_MIB[pod],
                t,
            )
        )
    util(CANARY_POD, 10)
    util(SIDECAR_POD, 99)
    util(YOLO_POD, 70, ns=NS_VISION)
    util(BERT_DIRECT_POD, 40)
    out.append(
        gauge(
            "DCGM_FI_DEV_GPU_UTIL",
            {
                "namespace": "gpu-operator",
                "pod": "dcgm-exporter-x7k2p",
                "exported_namespace": NS,
                "exported_pod": BERT_EXPORTED_POD,
                "gpu": "1",
            },
            20,
            t,
        )
    )
    # A MIG slice: GPU_UTIL reads 0 for it, the graphics engine is 25 % active.
    mig = {
        "namespace": NS,
        "pod": WHISPER_POD,
        "gpu": "2",
        "GPU_I_ID": "1",
        "GPU_I_PROFILE": "1g.10gb",
    }
    out.append(gauge("DCGM_FI_DEV_GPU_UTIL", mig, 0, t))
    out.append(gauge("DCGM_FI_PROF_GR_ENGINE_ACTIVE", mig, 0.25, t))

    for pod in list(LLAMA_PODS)[:2]:
        out += histogram(
            "vllm:e2e_request_latency_seconds", {"namespace": NS, "pod": pod}, VLLM_BUCKETS, t
        )
    first = next(iter(LLAMA_PODS))
    out.append(
        counter("http_requests_total", {"namespace": NS, "pod": first, "status": "5xx"}, 2, t)
    )
    out.append(
        counter("http_requests_total", {"namespace": NS, "pod": first, "status": "2xx"}, 198, t)
    )
    for pod in (BERT_DIRECT_POD, WHISPER_POD):
        out += histogram(
            "http_request_duration_seconds", {"namespace": NS, "pod": pod}, HTTP_BUCKETS, t
        )

    ksm = {**KSM, "namespace": NS}
    out.append(gauge("kube_deployment_spec_replicas", {**ksm, "deployment": "llama"}, 3, t))
    out.append(
        gauge("kube_deployment_status_replicas_available", {**ksm, "deployment": "llama"}, 2, t)
    )
    out.append(gauge("kube_deployment_spec_replicas", {**ksm, "deployment": "sidecar-proxy"}, 1, t))
    hpa = {**ksm, "horizontalpodautoscaler": "llama-autoscaler"}
    out.append(gauge("kube_horizontalpodautoscaler_status_desired_replicas", hpa, 4, t))
    info = {
        **hpa,
        "scaletargetref_kind": "Deployment",
        "scaletargetref_name": "llama",
        "scaletargetref_api_version": "apps/v1",
    }
    out.append(gauge("kube_horizontalpodautoscaler_info", info, 1, t))
    for ns, pod, phase, resource in [
        *((NS, p, "Running", "nvidia_com_gpu") for p in LLAMA_PODS),
        # Asks for a GPU, holds none yet.
        (NS, "llama-5d8f9c7b6-ppppp", "Pending", "nvidia_com_gpu"),
        (NS_VISION, YOLO_POD, "Running", "nvidia_com_gpu"),
        # One MIG slice (nvidia.com/mig-1g.10gb, as kube-state-metrics names it): 1/7 of a GPU.
        (NS, WHISPER_POD, "Running", "nvidia_com_mig_1g_10gb"),
    ]:
        labels = {**KSM, "namespace": ns, "pod": pod}
        out.append(
            gauge(
                "kube_pod_container_resource_requests",
                {**labels, "container": "server", "resource": resource, "unit": "integer"},
                1,
                t,
            )
        )
        for p in ("Pending", "Running"):
            out.append(
                gauge("kube_pod_status_phase", {**labels, "phase": p}, 1 if p == phase else 0, t)
            )
    return out


@pytest.fixture(scope="session")
def prometheus_dataset(prometheus_end):
    return dataset(prometheus_end)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Answers are cached in Redis across requests; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cluster(db, prometheus):
    return factories.ClusterFactory(prometheus_url=prometheus.url)


@pytest.fixture
def environment(team, other_team, cluster):
    """`dev`: namespaces dev-nlp and dev-vision, on the cluster whose Prometheus holds the data."""
    env = factories.EnvironmentFactory(name="development", namespace="dev", cluster=cluster)
    env.teams.add(team, other_team)
    return env


def make_deployment(team, environment, name, runtime="vllm", **fields) -> Deployment:
    """A deployment row as the reconciler would find it (services are not under test here)."""
    model = factories.ModelFactory(team=team, name=f"{name}-model")
    version = ModelVersion.objects.create(
        model=model, version="v1", artifact_uri="s3://models/x/", runtime=runtime
    )
    canary = fields.pop("canary", False)
    if canary:
        fields["canary_version"] = ModelVersion.objects.create(
            model=model, version="v2", artifact_uri="s3://models/x/", runtime=runtime
        )
        fields["canary_weight"] = 10
    fields.setdefault("gpu_count", 1)
    return Deployment.objects.create(
        team=team, environment=environment, name=name, model_version=version, **fields
    )


@pytest.fixture
def llama(team, environment):
    return make_deployment(
        team,
        environment,
        "llama",
        "vllm",
        canary=True,
        min_replicas=1,
        max_replicas=4,
        autoscaling_target=70,
    )


@pytest.fixture
def bert(team, environment):
    return make_deployment(team, environment, "bert", "triton")


@pytest.fixture
def whisper(team, environment):
    return make_deployment(team, environment, "whisper", "triton", mig_profile="1g.10gb")


@pytest.fixture
def yolo(other_team, environment):
    return make_deployment(other_team, environment, "yolo", "triton")


def plotly(figure: dict) -> Any:
    """`figure` (a plain dict, as the pages send it) read by plotly, which checks it against
    its schema: a misspelt property fails here, not silently in the browser."""
    import plotly.graph_objects as go

    return go.Figure(figure)
