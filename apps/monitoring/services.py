"""Dashboards: what is in view, one query per panel, and the figures.

The one place that turns deployments (ORM) into plain `Scope`s for
apps.monitoring.prometheus, and its `Series` into apps.monitoring.charts
figures. Pages and the API call `deployment_dashboard` and `fleet_dashboard`;
neither raises for a Prometheus problem: each panel carries its own error.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import plotly.graph_objects as go
from django.conf import settings
from django.db.models import QuerySet

from apps.accounts.access import teams_for
from apps.accounts.models import Team
from apps.clusters.models import Cluster
from apps.deployments.choices import State
from apps.deployments.constants import CANARY_SUFFIX
from apps.deployments.models import Deployment
from apps.monitoring import charts, prometheus
from apps.monitoring.prometheus import Answer, RangeError, Scope, Series, Window
from apps.quotas import usage

__all__ = ["RangeError", "deployment_dashboard", "fleet_dashboard", "visible_deployments"]

# The fleet heatmap has a row per deployment: 60 columns (a minute apart over an hour)
# show the shape of a day or a week, and keep 500 rows light to query, build and send.
FLEET_MAX_POINTS = 60
TOP_N = 10
# A deployment whose p95 is this many times the fleet's median p95 is an outlier.
OUTLIER_FACTOR = 2.0
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


@dataclass
class Panel:
    """One panel as pages and the API show it: a figure, or the reason there is none."""

    key: str
    title: str
    unit: str
    figure: go.Figure | None = None
    error: str = ""  # Prometheus could not answer: shown in place of the figure
    note: str = ""  # why there is no data, when Prometheus answered with none
    lines: list[dict[str, Any]] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    @property
    def figure_json(self) -> str:
        return charts.to_json(self.figure) if self.figure is not None else ""

    def as_data(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "error": self.error or None,
            "note": self.note or None,
            "series": self.lines,
        }


@dataclass
class Dashboard:
    """A page's panels over one window."""

    window: Window
    panels: list[Panel]
    ranges: tuple[str, ...] = tuple(prometheus.RANGES)

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.window.start, tz=UTC)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.window.end, tz=UTC)


def visible_deployments(user: Any) -> QuerySet[Deployment]:
    """The deployments `user` may see, with what the dashboards read of them."""
    return Deployment.objects.visible_to(user).select_related(
        "team", "environment__cluster", "model_version__model", "canary_version"
    )


def _url(cluster: Cluster) -> str:
    return cluster.prometheus_url or settings.PROMETHEUS_URL


def _deployment_scope(deployment: Deployment) -> Scope:
    cluster = deployment.environment.cluster
    names = {deployment.name: deployment.model_version.runtime}
    if deployment.canary_version_id:
        names[deployment.name + CANARY_SUFFIX] = deployment.canary_version.runtime
    return Scope(
        url=_url(cluster),
        templates=prometheus.templates(cluster.promql),
        namespaces=(deployment.namespace,),
        deployments=names,
    )


def _ask(spec_template: str, scope: Scope, win: Window, instant: bool = False) -> Answer:
    ask = prometheus.query_instant if instant else prometheus.query_range
    return ask(spec_template, scope, win)


def _line_data(name: str, series: Series) -> dict[str, Any]:
    return {"name": name, "labels": series.labels, "points": [list(p) for p in series.points]}


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
    answer = _ask(spec.template, scope, win)
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
        panel.lines.append(_line_data(name, series))
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


# --- the fleet ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    """A Kubernetes Deployment the viewer may see: its label on charts, and its team."""

    label: str
    key: str
    team: str


def fleet_dashboard(user: Any, range_name: str, now: float | None = None) -> Dashboard:
    """The fleet overview of the deployments `user` may see: one query per panel per Prometheus.

    Raises RangeError for an unknown range; Prometheus problems stay in the panels.
    """
    win = prometheus.window(range_name, now, max_points=FLEET_MAX_POINTS)
    deployments = list(visible_deployments(user))
    teams = list(teams_for(user).prefetch_related("environments__cluster").select_related("quota"))
    scopes = _fleet_scopes(deployments, teams)
    known: dict[tuple[str, str], _Known] = {}
    for d in deployments:
        label = f"{d.namespace}/{d.name}"
        known[(d.namespace, d.name)] = _Known(label, label, d.team.name)
        if d.canary_version_id:
            canary = d.name + CANARY_SUFFIX
            known[(d.namespace, canary)] = _Known(
                f"{label} (canary)", f"{d.namespace}/{canary}", d.team.name
            )
    context = _FleetContext(win, scopes, known, teams, bool(deployments))
    return Dashboard(
        window=win,
        panels=[
            _fleet_gpu_util(context),
            _fleet_top_consumers(context),
            _fleet_quota(context),
            _fleet_latency(context),
        ],
    )


def _fleet_scopes(deployments: list[Deployment], teams: list[Team]) -> list[Scope]:
    """One scope per Prometheus (and set of templates), covering every namespace in view."""
    clusters: dict[int, Cluster] = {}
    namespaces: dict[int, set[str]] = {}
    names: dict[int, dict[str, str]] = {}
    for team in teams:
        for env in team.environments.all():
            clusters[env.cluster_id] = env.cluster
            namespaces.setdefault(env.cluster_id, set()).add(env.namespace_for(team.name))
    for d in deployments:
        cluster = d.environment.cluster
        clusters[cluster.pk] = cluster
        namespaces.setdefault(cluster.pk, set()).add(d.namespace)
        runtimes = names.setdefault(cluster.pk, {})
        runtimes[d.name] = d.model_version.runtime
        if d.canary_version_id:
            runtimes[d.name + CANARY_SUFFIX] = d.canary_version.runtime
    merged: dict[tuple[str, str], Scope] = {}
    for pk, cluster in sorted(clusters.items()):
        templates = prometheus.templates(cluster.promql)
        key = (_url(cluster), repr(sorted(templates.items())))
        before = merged.get(key)
        ns = set(before.namespaces) if before else set()
        deps = dict(before.deployments) if before else {}
        ns |= namespaces.get(pk, set())
        deps.update(names.get(pk, {}))
        merged[key] = Scope(
            url=key[0],
            templates=templates,
            namespaces=tuple(sorted(ns)),
            deployments=deps,
            all_deployments=True,
        )
    return list(merged.values())


@dataclass
class _FleetContext:
    win: Window
    scopes: list[Scope]
    known: dict[tuple[str, str], _Known]
    teams: list[Team]
    has_deployments: bool

    def ask(self, template: str, panel: Panel, instant: bool) -> list[Series]:
        """Template `template` on every Prometheus in view; errors go to the panel."""
        series: list[Series] = []
        errors: list[str] = []
        for scope in self.scopes:
            answer = _ask(template, scope, self.win, instant=instant)
            if answer.query:
                panel.queries.append(answer.query)
            if answer.error:
                errors.append(answer.error)
            series.extend(answer.series)
        panel.error = " ".join(dict.fromkeys(errors))
        return series

    def of_known(self, series: Iterable[Series]) -> Iterable[tuple[_Known, Series]]:
        """Series of deployments the viewer may see; others in the namespaces are skipped."""
        for s in series:
            known = self.known.get((s.labels.get("namespace", ""), s.labels.get("deployment", "")))
            if known is not None:
                yield known, s

    def empty_message(self, what: str) -> str:
        if not self.has_deployments:
            return "No data: your teams have no deployments yet."
        urls = ", ".join(s.shown_url for s in self.scopes)
        return (
            f"No data in the last {self.win.name}: no {what} for your teams' namespaces at {urls}."
        )


def _panel(key: str, title: str, unit: charts.Unit) -> Panel:
    return Panel(key=key, title=title, unit=unit.symbol)


def _fleet_gpu_util(ctx: _FleetContext) -> Panel:
    title = "GPU utilization of every deployment"
    panel = _panel("fleet_gpu_util", title, charts.PERCENT)
    series = ctx.ask("fleet_gpu_util", panel, instant=False)
    grid = list(range(ctx.win.start, ctx.win.end + 1, ctx.win.step))
    rows: list[tuple[float, charts.Row]] = []
    for known, s in ctx.of_known(series):
        by_time = dict(s.points)
        values = [by_time.get(float(t)) for t in grid]
        present = [v for v in values if v is not None]
        if present:
            rows.append((statistics.fmean(present), charts.Row(known.label, values)))
    rows.sort(key=lambda item: (-item[0], item[1].label))
    if not panel.error or rows:
        panel.figure = charts.heatmap(
            title,
            charts.PERCENT,
            "GPU busy",
            grid,
            [row for _, row in rows],
            ctx.empty_message("dcgm-exporter series"),
        )
    return panel


def _fleet_top_consumers(ctx: _FleetContext) -> Panel:
    title = f"Top GPU consumers (GPUs held at {_clock(ctx.win.end)} UTC)"
    panel = _panel("fleet_gpu_top", title, charts.GPUS)
    series = ctx.ask("fleet_gpu_top", panel, instant=True)
    gpus: dict[str, tuple[_Known, float]] = {}
    busy: dict[str, float] = {}
    for known, s in ctx.of_known(series):
        value = s.last
        if value is None:
            continue
        if s.labels.get("stat") == "gpus":
            gpus[known.key] = (known, value)
        elif s.labels.get("stat") == "mean":
            busy[known.key] = value
    top = sorted(gpus.values(), key=lambda kv: (-kv[1], -busy.get(kv[0].key, 0), kv[0].label))
    items = [
        charts.Bar(
            label=known.label,
            key=known.key,
            value=value,
            hover=f"<br>mean utilization: {busy[known.key]:.1f} %" if known.key in busy else "",
        )
        for known, value in top[:TOP_N]
    ]
    if not panel.error or items:
        panel.figure = charts.bars(
            title, charts.GPUS, "GPUs held", items, ctx.empty_message("dcgm-exporter series")
        )
    return panel


def _fleet_quota(ctx: _FleetContext) -> Panel:
    title = "GPUs allocated versus quota, per team"
    panel = _panel("fleet_gpus_allocated", title, charts.GPUS)
    series = ctx.ask("fleet_gpus_allocated", panel, instant=True)
    team_of = {
        env.namespace_for(team.name): team.name
        for team in ctx.teams
        for env in team.environments.all()
    }
    team_of.update({(k[0]): v.team for k, v in ctx.known.items()})
    shares = _gpu_shares()
    allocated: dict[str, Fraction] = {}
    for s in series:
        team = team_of.get(s.labels.get("namespace", ""))
        if team is not None and s.last is not None:
            # Counted as admission counts it: a MIG slice is its share of a GPU.
            share = shares.get(s.labels.get("resource", GPU_RESOURCE_LABEL), Fraction(1))
            held = Fraction(s.last).limit_denominator(1_000_000) * share
            allocated[team] = allocated.get(team, Fraction(0)) + held
    items, limits = [], []
    for team in ctx.teams:
        quota = getattr(team, "quota", None)
        limit = quota.gpus_total if quota is not None else None
        used = allocated.get(team.name, Fraction(0))
        hover = ""
        if used.denominator != 1:
            exact = usage.amount_text(usage.GPUS, used)
            hover = f"<br>= {exact} GPUs (a MIG slice counts as its share of a GPU)"
        hover += f"<br>quota: {limit} GPUs" if limit is not None else "<br>no GPU quota"
        items.append(
            charts.Bar(
                label=str(team),
                key=f"team/{team.name}",
                value=float(used),
                hover=hover,
                highlight=limit is not None and used > limit,
            )
        )
        limits.append(float(limit) if limit is not None else None)
    if not panel.error or allocated:
        panel.figure = charts.bars(
            title,
            charts.GPUS,
            "GPUs allocated",
            items,
            "No data: you belong to no team.",
            reference=limits,
            reference_name="quota",
        )
    return panel


# kube-state-metrics' `resource` label of whole GPUs; MIG slices are nvidia_com_mig_<profile>.
GPU_RESOURCE_LABEL = "nvidia_com_gpu"


def _gpu_shares() -> dict[str, Fraction]:
    """Share of a GPU per kube-state-metrics `resource` label, e.g. nvidia_com_mig_1g_10gb: 1/7."""
    shares = {GPU_RESOURCE_LABEL: Fraction(1)}
    for profile in settings.GANTRY_MIG_PROFILES:
        # kube-state-metrics turns every character a label name cannot hold into "_".
        label = re.sub(r"[^a-zA-Z0-9_]", "_", f"nvidia.com/mig-{profile}")
        shares[label] = usage.slice_share(profile, settings.GANTRY_MIG_GPU_FRACTIONS)
    return shares


def _fleet_latency(ctx: _FleetContext) -> Panel:
    title = f"Latency outliers: p95 over the last {ctx.win.name}"
    panel = _panel("fleet_latency_p95", title, charts.SECONDS)
    series = ctx.ask("fleet_latency_p95", panel, instant=True)
    p95 = {}
    for known, s in ctx.of_known(series):
        if s.last is not None:
            p95[known.key] = (known, s.last)
    median = statistics.median(v for _, v in p95.values()) if p95 else 0.0
    ranked = sorted(p95.values(), key=lambda kv: (-kv[1], kv[0].label))[:TOP_N]
    items = [
        charts.Bar(
            label=known.label,
            key=known.key,
            value=value,
            hover=_outlier_hover(value, median),
            highlight=median > 0 and value > OUTLIER_FACTOR * median,
        )
        for known, value in ranked
    ]
    if not panel.error or items:
        panel.figure = charts.bars(
            title,
            charts.SECONDS,
            "p95 latency",
            items,
            ctx.empty_message("request-duration histograms"),
            reference=[median] * len(items) if len(p95) > 1 else None,
            reference_name="fleet median",
        )
    return panel


def _outlier_hover(value: float, median: float) -> str:
    if median <= 0:
        return ""
    return f"<br>{value / median:.1f} times the fleet median ({median:.3g} s)"


def _clock(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%H:%M")


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
