"""Dashboards keep only the viewer's series, whatever a cluster's PromQL overrides return."""

import pytest

from apps.clusters.models import Cluster
from apps.core.lib.promql import validate_overrides
from apps.monitoring import prometheus as prom
from apps.monitoring import services
from tests.monitoring.conftest import plotly

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

# Valid overrides (they pass the admin's check) that select every namespace and pod.
UNSCOPED = {
    "gpu_util": "label_replace(avg by (namespace, deployment) (label_replace("
    'DCGM_FI_DEV_GPU_UTIL, "deployment", "$1", "pod", "(.+)-[a-z0-9]+-[a-z0-9]+")), '
    '"stat", "mean", "", "")',
    # No labels at all: a sum over every team.
    "requests": "sum(rate(http_request_duration_seconds_count[5m]))",
    # dcgm-exporter's other label form, as scraped through a service monitor.
    "gpu_memory": "max by (namespace, exported_namespace, deployment) (label_replace("
    'DCGM_FI_DEV_GPU_UTIL{exported_namespace!=""}, "deployment", "$1", "exported_pod", '
    '"(.+)-[a-z0-9]+-[a-z0-9]+"))',
    "fleet_gpu_top": "label_replace(count by (namespace, deployment) (label_replace("
    'DCGM_FI_DEV_GPU_UTIL, "deployment", "$1", "pod", "(.+)-[a-z0-9]+-[a-z0-9]+")), '
    '"stat", "gpus", "", "")',
    "fleet_gpus_allocated": "sum by (namespace) (kube_pod_container_resource_requests)",
}


@pytest.fixture
def unscoped(cluster):
    validate_overrides(UNSCOPED)  # what the admin checks: they pass
    Cluster.objects.filter(pk=cluster.pk).update(promql=UNSCOPED)
    return cluster


def _series(client, deployment, key):
    # An hour: the data set ends when the session's Prometheus started, maybe well
    # over 15 minutes ago in a long session.
    body = client.get(f"/api/v1/deployments/{deployment.pk}/metrics/?range=1h").json()
    panel = next(p for p in body["panels"] if p["key"] == key)
    assert panel["error"] is None, panel["error"]
    return panel["series"]


def test_the_override_really_selects_other_teams_series(unscoped, prometheus):
    scope = prom.Scope(
        url=Cluster.objects.get().prometheus_url,
        templates=prom.templates(UNSCOPED),
        namespaces=("dev-nlp",),
        deployments={"llama": "vllm"},
    )
    win = prom.window("15m", now=prometheus.end)
    raw = prom._query(scope.url, prom.build_query("gpu_util", scope, win), win, None)
    assert {s.labels["namespace"] for s in raw.series} >= {"dev-nlp", "dev-vision"}


def test_a_deployments_metrics_keep_only_its_own_series(client, owner, llama, yolo, unscoped):
    client.force_login(owner)
    series = _series(client, llama, "gpu_util")
    assert {(s["labels"]["namespace"], s["labels"]["deployment"]) for s in series} == {
        ("dev-nlp", "llama"),
        ("dev-nlp", "llama-canary"),
    }


def test_the_other_team_sees_only_its_deployment(client, outsider, llama, yolo, unscoped):
    client.force_login(outsider)
    series = _series(client, yolo, "gpu_util")
    assert [(s["labels"]["namespace"], s["labels"]["deployment"]) for s in series] == [
        ("dev-vision", "yolo")
    ]
    assert series[0]["points"][-1][1] == 70


def test_series_without_namespace_and_deployment_labels_are_dropped(client, owner, llama, unscoped):
    client.force_login(owner)
    assert _series(client, llama, "requests") == []


def test_dcgms_exported_namespace_counts_as_the_pods_namespace(
    client, owner, bert, llama, unscoped
):
    client.force_login(owner)
    (series,) = _series(client, bert, "gpu_memory")
    assert series["labels"]["namespace"] == "gpu-operator"  # the exporter's own
    assert series["labels"]["exported_namespace"] == "dev-nlp"
    assert series["labels"]["deployment"] == "bert"
    assert _series(client, llama, "gpu_memory") == []


def test_the_fleet_keeps_only_the_viewers_teams(outsider, llama, bert, yolo, unscoped, prometheus):
    dashboard = services.fleet_dashboard(outsider, "1h", now=prometheus.end)
    panels = {p.key: p for p in dashboard.panels}
    top = plotly(panels["fleet_gpu_top"].figure).data[0]
    assert list(top.y) == ["dev-vision/yolo"]
    allocated, _quota = plotly(panels["fleet_gpus_allocated"].figure).data
    assert (list(allocated.y), list(allocated.x)) == (["vision"], [1])


def _s(**labels):
    return prom.Series(labels=labels, points=[(0.0, 1.0)])


def test_in_scope_keeps_the_scopes_namespaces_and_deployments():
    scope = prom.Scope(
        url="http://prometheus:9090",
        templates={},
        namespaces=("dev-nlp",),
        deployments={"llama": "vllm", "llama-canary": "vllm"},
    )
    kept = prom.in_scope(
        [
            _s(namespace="dev-nlp", deployment="llama"),
            _s(namespace="dev-nlp", deployment="llama-canary", stat="max"),
            _s(namespace="gpu-operator", exported_namespace="dev-nlp", deployment="llama"),
            _s(namespace="dev-nlp", deployment="sidecar-proxy"),
            _s(namespace="dev-vision", deployment="llama"),
            _s(namespace="dev-nlp", exported_namespace="dev-vision", deployment="llama"),
            _s(namespace="dev-nlp"),
            _s(),
        ],
        scope,
    )
    assert [s.labels for s in kept] == [
        {"namespace": "dev-nlp", "deployment": "llama"},
        {"namespace": "dev-nlp", "deployment": "llama-canary", "stat": "max"},
        {"namespace": "gpu-operator", "exported_namespace": "dev-nlp", "deployment": "llama"},
    ]


def test_the_fleet_scope_also_keeps_per_namespace_totals():
    scope = prom.Scope(
        url="http://prometheus:9090",
        templates={},
        namespaces=("dev-nlp",),
        deployments={"llama": "vllm"},
        all_deployments=True,
    )
    kept = prom.in_scope(
        [
            _s(namespace="dev-nlp"),
            _s(namespace="dev-vision"),
            _s(namespace="dev-nlp", deployment="x"),
        ],
        scope,
    )
    assert [s.labels for s in kept] == [{"namespace": "dev-nlp"}]
