"""PromQL built from templates: one query per panel, whatever the number of deployments."""

import promql_parser
import pytest

from apps.monitoring import prometheus


def _scope(deployments, all_deployments=False, overrides=None):
    return prometheus.Scope(
        url="http://prometheus:9090",
        templates=prometheus.templates(overrides),
        namespaces=("dev-nlp", "prod-nlp"),
        deployments=deployments,
        all_deployments=all_deployments,
    )


WIN = prometheus.window("1h", now=1_800_000_000)


def test_the_fleet_query_does_not_list_deployments():
    many = {f"model-{i}": "triton" for i in range(500)}
    query = prometheus.build_query("fleet_gpu_util", _scope(many, all_deployments=True), WIN)
    assert "model-1" not in query
    assert 'namespace=~"dev-nlp|prod-nlp"' in query
    assert "(.+)-[a-z0-9]+-[a-z0-9]+" in query
    promql_parser.parse(query)


def test_the_fleet_ranks_the_busiest_in_prometheus_on_a_coarse_step():
    scope = _scope({"llama": "vllm"}, all_deployments=True)
    fleet = prometheus.window("1h", now=1_800_000_000, max_points=60)
    query = prometheus.build_query("fleet_gpu_top", scope, fleet, top=100)
    assert "topk(100, avg_over_time(" in query
    assert "[3600s:600s]" in query
    # Only the viewer's namespaces, in the ranking as in the rest.
    assert 'namespace=~"dev-nlp|prod-nlp"' in query
    assert "(.+)-[a-z0-9]+-[a-z0-9]+" in query
    promql_parser.parse(query)


@pytest.mark.parametrize(
    ("range_name", "step"), [("15m", 300), ("1h", 600), ("6h", 3600), ("24h", 7200), ("7d", 7200)]
)
def test_the_ranking_step_takes_a_few_points(range_name, step):
    win = prometheus.window(range_name, now=1_800_000_000, max_points=60)
    assert prometheus.rank_step(win) == step
    assert prometheus.rank_step(win) >= win.step


def test_a_deployment_query_names_the_deployment_and_its_canary():
    query = prometheus.build_query(
        "gpu_util", _scope({"llama": "vllm", "llama-canary": "vllm"}), WIN
    )
    assert "(llama|llama-canary)-[a-z0-9]+-[a-z0-9]+" in query


def test_runtimes_with_different_histograms_share_one_query():
    scope = _scope(
        {"llama": "vllm", "bert": "triton", "resnet": "torchserve"}, all_deployments=True
    )
    query = prometheus.build_query("fleet_latency_p95", scope, WIN)
    promql_parser.parse(query)
    assert "vllm:e2e_request_latency_seconds_bucket" in query
    assert "http_request_duration_seconds_bucket" in query
    # Each part is limited to its own deployments, so none is counted twice.
    assert "(llama)-[a-z0-9]+" in query
    assert "(bert|resnet)-[a-z0-9]+" in query


def test_one_runtime_needs_no_names_on_the_fleet():
    scope = _scope({"a": "vllm", "b": "vllm"}, all_deployments=True)
    query = prometheus.build_query("fleet_latency_p95", scope, WIN)
    assert "(.+)-[a-z0-9]+" in query
    assert "[3600s]" in query  # p95 over the whole range


def test_a_cluster_override_replaces_the_default():
    scope = _scope({"bert": "triton"}, overrides={"histogram.triton": "nv_inference_duration"})
    assert "nv_inference_duration_bucket" in prometheus.build_query("latency", scope, WIN)


def test_the_rate_window_is_the_step_but_never_under_the_minimum(settings):
    settings.PROMETHEUS_RATE_WINDOW_S = 60
    scope = _scope({"llama": "vllm"})
    assert "[60s]" in prometheus.build_query("requests", scope, WIN)
    week = prometheus.window("7d", now=1_800_000_000)
    assert f"[{week.step}s]" in prometheus.build_query("requests", scope, week)


def test_names_that_would_change_the_regex_are_refused():
    with pytest.raises(ValueError, match="not a Kubernetes name"):
        prometheus.build_query("gpu_util", _scope({"a|.*": "vllm"}), WIN)


@pytest.mark.parametrize(
    ("range_name", "step"), [("15m", 15), ("1h", 15), ("6h", 120), ("24h", 300), ("7d", 3600)]
)
def test_steps_keep_series_under_300_points(range_name, step):
    win = prometheus.window(range_name, now=1_800_000_000)
    assert win.step == step
    assert win.points <= 301


def test_an_unknown_range_names_the_valid_ones():
    with pytest.raises(prometheus.RangeError, match="use one of 15m, 1h, 6h, 24h, 7d"):
        prometheus.window("2y")
