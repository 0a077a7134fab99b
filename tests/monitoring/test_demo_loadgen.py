"""The demo-only metrics of `make run` are valid exposition text that the dashboards can read."""

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

LOADGEN = Path(__file__).resolve().parents[2] / "scripts" / "demo" / "loadgen.py"


@pytest.fixture(scope="module")
def loadgen():
    spec = importlib.util.spec_from_file_location("demo_loadgen", LOADGEN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture
def pods(loadgen):
    now = time.time()
    pods = [
        loadgen.FakePod(
            "dev-nlp", "llama-5d8f9c7b6-aaaaa", "gpu-1", vllm=True, gpus=2, mig_profile=""
        ),
        loadgen.FakePod(
            "dev-vision",
            "whisper-8b7c6d5f4-bbbbb",
            "gpu-2",
            vllm=False,
            gpus=1,
            mig_profile="1g.10gb",
        ),
        loadgen.FakePod(
            "dev-nlp", "ranker-6c9f8d7b5-ccccc", "cpu-1", vllm=False, gpus=0, mig_profile=""
        ),
    ]
    for pod in pods:
        pod.last = now - 60
    return pods


def _promtool_check(text: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["promtool", "check", "metrics"], input=text, text=True, capture_output=True, timeout=60
    )


@pytest.mark.prometheus
def test_both_endpoints_are_valid_exposition_text(loadgen, pods):
    now = time.time()
    for text in (loadgen.dcgm_text(pods, now), loadgen.serving_text(pods, now)):
        result = _promtool_check(text)
        assert "error while linting" not in result.stderr, result.stderr


def test_whole_gpus_report_utilization_and_mig_slices_engine_activity(loadgen, pods):
    text = loadgen.dcgm_text(pods, time.time())
    util = [line for line in text.splitlines() if line.startswith("DCGM_FI_DEV_GPU_UTIL{")]
    engine = [
        line for line in text.splitlines() if line.startswith("DCGM_FI_PROF_GR_ENGINE_ACTIVE{")
    ]
    assert len(util) == 2
    assert all('pod="llama-5d8f9c7b6-aaaaa"' in line for line in util)
    assert len(engine) == 1
    assert 'GPU_I_PROFILE="1g.10gb"' in engine[0]
    assert "ranker" not in text  # no GPU, no GPU series


def test_histogram_buckets_are_cumulative_and_grow(loadgen, pods):
    llama = pods[0]
    loadgen.serving_text(pods, time.time())
    first = list(llama.buckets)
    assert first == sorted(first)
    assert first[-1] <= llama.count
    loadgen.serving_text(pods, llama.last + 30)
    assert all(after >= before for after, before in zip(llama.buckets, first, strict=True))
    assert "vllm:e2e_request_latency_seconds_bucket" in loadgen.serving_text(pods, llama.last + 30)
