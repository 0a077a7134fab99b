"""Dashboards: what is in view, one query per panel, and the figures.

The one place that turns deployments (ORM) into plain `Scope`s for
apps.monitoring.prometheus, and its `Series` into apps.monitoring.charts
figures. Pages and the API call `deployment_dashboard` (here) and
`fleet_dashboard` (fleet.py); neither raises for a Prometheus problem: each panel
carries its own error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apps.deployments.choices import State
from apps.deployments.constants import CANARY_SUFFIX
from apps.deployments.models import Deployment
from apps.monitoring import charts, prometheus
from apps.monitoring.fleet import fleet_dashboard
from apps.monitoring.panels import (
    Dashboard,
    Panel,
    ask,
    line_data,
    prometheus_url,
    visible_deployments,
)
from apps.monitoring.prometheus import RangeError, Scope, Series, Window

__all__ = ["RangeError", "deployment_dashboard", "fleet_dashboard", "visible_deployments"]

# A deployment younger than this may simply not have been scraped yet.
FIRST_POINTS_S = 300


@dataclass(frozen=True)
class PanelSpec:
    """A panel: its template, how it reads, and how its lines are told apart."""

    key: str
    title: str
    template: str
    unit: charts.Unit
    value_title: str
    source: str  # "dcgm", "kube-state-metrics" or "runtime": what must be scraped
    split: str = ""  # label telling lines apart in one query ("stat", "quantile")
    # split value -> (legend name, dash); their order is the legend's.
    variants: dict[str, tuple[str, str]] = field(default_factory=dict)
    gpu: bool = False


DEPLOYMENT_PANELS = (
    PanelSpec(
        "gpu_util",
        "GPU utilization",
        "gpu_util",
        charts.PERCENT,
        "GPU busy",
        "dcgm",
        split="stat",
        variants={"mean": ("mean of pods", "solid"), "max": ("busiest pod", "dot")},
        gpu=True,
    ),
    PanelSpec(
        "gpu_memory", "GPU memory used", "gpu_memory", charts.GIB, "memory", "dcgm", gpu=True
    ),
    PanelSpec(
        "replicas",
        "Replicas",
        "replicas",
        charts.REPLICAS,
        "count",
        "kube-state-metrics",
        split="stat",
        variants={
            "desired": ("desired", "dash"),
            "available": ("available", "solid"),
            "hpa_desired": ("autoscaler wants", "dot"),
        },
    ),
    PanelSpec(
        "latency",
        "Latency",
        "latency",
        charts.SECONDS,
        "request duration",
        "runtime",
        split="quantile",
        variants={"p50": ("p50", "solid"), "p95": ("p95", "dash"), "p99": ("p99", "dot")},
    ),
    PanelSpec("requests", "Requests", "requests", charts.PER_SECOND, "requests", "runtime"),
    PanelSpec("error_ratio", "Errors", "error_ratio", charts.Unit("%", ".2f"), "failed", "runtime"),
)


def _deployment_scope(deployment: Deployment) -> Scope:
    cluster = deployment.environment.cluster
    names = {deployment.name: deployment.model_version.runtime}
    if deployment.canary_version_id:
        names[deployment.name + CANARY_SUFFIX] = deployment.canary_version.runtime
    return Scope(
        url=prometheus_url(cluster),
        templates=prometheus.templates(cluster.promql),
        namespaces=(deployment.namespace,),
        deployments=names,
    )


# --- a deployment's page ------------------------------------------------------------


def deployment_dashboard(
    deployment: Deployment, range_name: str, now: float | None = None, figures: bool = True
) -> Dashboard:
    """The panels of one deployment (and its canary) over `range_name`: a query per panel.

    Raises RangeError for an unknown range; Prometheus problems stay in the panels.
    `figures=False` skips building the plotly figures (the API sends series only).
    """
    win = prometheus.window(range_name, now)
    scope = _deployment_scope(deployment)
    panels = [
        _deployment_panel(spec, deployment, scope, win, figures) for spec in DEPLOYMENT_PANELS
    ]
    return Dashboard(window=win, panels=panels)


def _deployment_panel(
    spec: PanelSpec, deployment: Deployment, scope: Scope, win: Window, figures: bool
) -> Panel:
    panel = Panel(key=spec.key, title=spec.title, unit=spec.unit.symbol)
    if spec.gpu and deployment.gpu_count == 0:
        # Nothing to ask: say why instead of spending a query on a certain "no data".
        panel.note = f"No data: {deployment.name} asks for no GPU."
        if figures:
            panel.figure = charts.empty(spec.title, panel.note)
        return panel
    answer = ask(spec.template, scope, win)
    panel.queries.append(answer.query)
    if answer.error:
        panel.error = answer.error
        return panel
    order = list(spec.variants)
    lines: list[charts.Line] = []
    ranked = sorted(
        answer.series,
        key=lambda s: (
            s.labels.get("deployment", "") != deployment.name,
            order.index(s.labels.get(spec.split, "")) if s.labels.get(spec.split) in order else 99,
        ),
    )
    for series in ranked:
        name, dash = _variant(spec, series, deployment)
        key = f"{series.labels.get('namespace', '')}/{series.labels.get('deployment', '')}"
        xs = [t for t, _ in series.points]
        lines.append(
            charts.Line(name=name, key=key, x=xs, y=[v for _, v in series.points], dash=dash)
        )
        panel.lines.append(line_data(name, series))
    if not any(v is not None for line in lines for v in line.y):
        panel.note = _why_empty(spec, deployment, scope, win)
    if figures:
        panel.figure = charts.time_series(
            spec.title, spec.unit, spec.value_title, lines, panel.note
        )
    return panel


def _variant(spec: PanelSpec, series: Series, deployment: Deployment) -> tuple[str, str]:
    value = series.labels.get(spec.split, "") if spec.split else ""
    name, dash = spec.variants.get(value, (value or deployment.name, "solid"))
    if series.labels.get("deployment") == deployment.name + CANARY_SUFFIX:
        name = f"{name} (canary)" if spec.split else "canary"
    return name, dash


def _why_empty(spec: PanelSpec, deployment: Deployment, scope: Scope, win: Window) -> str:
    """Why a deployment's panel has no data: the likeliest reason first."""
    name, ns = deployment.name, deployment.namespace
    if deployment.state != State.RUNNING:
        return f"No data: {name} is {deployment.get_state_display().lower()} and runs no pods."
    age = win.end - deployment.created_at.timestamp()
    if age < FIRST_POINTS_S:
        minutes = max(1, int(age // 60))
        return (
            f"No data yet: {name} was created {minutes} min ago; points appear once "
            f"Prometheus has scraped its pods, within a minute or two of them starting."
        )
    since = f"in the last {win.name}"
    if spec.source == "dcgm":
        return (
            f"No data {since}: no dcgm-exporter series for pods {name}-… in namespace {ns}. "
            f"Is dcgm-exporter running on the GPU nodes, and scraped by the Prometheus at "
            f"{scope.shown_url}?"
        )
    if spec.source == "kube-state-metrics":
        return (
            f"No data {since}: no kube-state-metrics series for Deployment {ns}/{name}. "
            f"Is kube-state-metrics scraped by the Prometheus at {scope.shown_url}?"
        )
    runtime = deployment.model_version.runtime
    histogram = scope.templates.get(f"histogram.{runtime}", "the request-duration histogram")
    return (
        f"No data {since}: no {histogram} series from pods {name}-… in namespace {ns}. "
        f"Has it served requests, and does the Prometheus at {scope.shown_url} scrape its pods?"
    )


def metrics_payload(deployment: Deployment, dashboard: Dashboard) -> dict[str, Any]:
    """The API's JSON: the window, and each panel's series (or its error)."""
    win = dashboard.window
    return {
        "deployment": deployment.pk,
        "range": win.name,
        "start": win.start,
        "end": win.end,
        "step": win.step,
        "panels": [panel.as_data() for panel in dashboard.panels],
    }
