"""The fleet dashboard: every deployment a user may see, one query per panel per
Prometheus, and the teams' GPUs against their quotas."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from django.conf import settings

from apps.accounts.access import teams_for
from apps.accounts.models import Team
from apps.clusters.models import Cluster, Environment
from apps.deployments.constants import CANARY_SUFFIX
from apps.monitoring import charts, prometheus
from apps.monitoring.panels import (
    Ask,
    Dashboard,
    Panel,
    ask_all,
    ask_later,
    prometheus_url,
    visible_deployments,
)
from apps.monitoring.prometheus import Answer, Scope, Series, Window
from apps.quotas import usage

# The heatmap's columns: 60 (a minute apart over an hour) show the shape of a day or a
# week. Its rows: the busiest deployments only, few enough that each keeps a readable
# label (charts.heatmap labels up to 60 rows); the figure says how many more there are.
FLEET_MAX_POINTS = 60
HEATMAP_ROWS = 50
TOP_N = 10
# A deployment whose p95 is this many times the fleet's median p95 is an outlier.
OUTLIER_FACTOR = 2.0
# The page's first queries, instant ones at the window's end; the heatmap's lines are
# asked once the ranking (part of fleet_gpu_top) names the busiest deployments.
FIRST_QUERIES = ("fleet_gpu_top", "fleet_gpus_allocated", "fleet_latency_p95")


@dataclass(frozen=True)
class _Known:
    """A Kubernetes Deployment the viewer may see: its label on charts, and its team."""

    label: str
    key: str
    team: str


@dataclass(frozen=True)
class _InView:
    """What the fleet reads of a deployment: plain values, not model instances."""

    name: str
    team: str
    environment_id: int
    runtime: str
    canary_runtime: str | None  # None: no canary


def fleet_dashboard(user: Any, range_name: str, now: float | None = None) -> Dashboard:
    """The fleet overview of the deployments `user` may see: one query per panel per Prometheus.

    Raises RangeError for an unknown range; Prometheus problems stay in the panels.
    """
    win = prometheus.window(range_name, now, max_points=FLEET_MAX_POINTS)
    deployments = _in_view(user)
    teams = list(teams_for(user).prefetch_related("environments__cluster").select_related("quota"))
    environments = Environment.objects.select_related("cluster").in_bulk(
        {d.environment_id for d in deployments}
    )
    scopes = _fleet_scopes(deployments, environments, teams)
    known: dict[tuple[str, str], _Known] = {}
    for d in deployments:
        namespace = environments[d.environment_id].namespace_for(d.team)
        label = f"{namespace}/{d.name}"
        known[(namespace, d.name)] = _Known(label, label, d.team)
        if d.canary_runtime is not None:
            canary = d.name + CANARY_SUFFIX
            known[(namespace, canary)] = _Known(
                f"{label} (canary)", f"{namespace}/{canary}", d.team
            )
    context = _FleetContext(win, scopes, known, teams, bool(deployments))
    context.fetch()
    return Dashboard(
        window=win,
        panels=[
            _fleet_gpu_util(context),
            _fleet_top_consumers(context),
            _fleet_quota(context),
            _fleet_latency(context),
        ],
    )


def _in_view(user: Any) -> list[_InView]:
    # Values, not instances: at thousands of deployments, building a model instance and
    # its four related ones per row cost more than all of the page's queries.
    rows = visible_deployments(user).values_list(
        "name",
        "team__name",
        "environment_id",
        "model_version__runtime",
        "canary_version__runtime",
    )
    return [_InView(*row) for row in rows]


def _fleet_scopes(
    deployments: list[_InView], environments: dict[int, Environment], teams: list[Team]
) -> list[Scope]:
    """One scope per Prometheus (and set of templates), covering every namespace in view."""
    clusters: dict[int, Cluster] = {}
    namespaces: dict[int, set[str]] = {}
    names: dict[int, dict[str, str]] = {}
    for team in teams:
        for env in team.environments.all():
            clusters[env.cluster_id] = env.cluster
            namespaces.setdefault(env.cluster_id, set()).add(env.namespace_for(team.name))
    for d in deployments:
        env = environments[d.environment_id]
        clusters[env.cluster_id] = env.cluster
        namespaces.setdefault(env.cluster_id, set()).add(env.namespace_for(d.team))
        runtimes = names.setdefault(env.cluster_id, {})
        runtimes[d.name] = d.runtime
        if d.canary_runtime is not None:
            runtimes[d.name + CANARY_SUFFIX] = d.canary_runtime
    merged: dict[tuple[str, str], Scope] = {}
    for pk, cluster in sorted(clusters.items()):
        templates = prometheus.templates(cluster.promql)
        key = (prometheus_url(cluster), repr(sorted(templates.items())))
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
    answers: dict[str, list[Answer]] = field(default_factory=dict)

    def fetch(self) -> None:
        """Every panel's query on every Prometheus in view, side by side.

        The heatmap's range query names the busiest deployments only: it waits for the
        ranking, which is a part of the top-consumers query, and not for the others.
        """
        first = [
            Ask(template, scope, self.win, instant=True, top=2 * HEATMAP_ROWS)
            for template in FIRST_QUERIES
            for scope in self.scopes
        ]
        pending = [(ask, ask_later(ask)) for ask in first]
        ranked = [(a.scope, f.result()) for a, f in pending if a.template == "fleet_gpu_top"]
        lines = self._busiest(ranked)
        for ask, answer in zip(lines, ask_all(lines), strict=True):
            self.answers.setdefault(ask.template, []).append(answer)
        for ask, future in pending:
            self.answers.setdefault(ask.template, []).append(future.result())

    def _busiest(self, ranked: list[tuple[Scope, Answer]]) -> list[Ask]:
        """The heatmap's questions: per Prometheus, the lines of the busiest deployments.

        Prometheus ranked twice as many as the heatmap shows (`topk`): workloads Gantry
        does not manage may share the namespaces, and are dropped here.
        """
        scored: list[tuple[float, str, int, str]] = []
        for i, (_, answer) in enumerate(ranked):
            if answer.error:  # no ranking, no lines: the heatmap says why
                self.answers.setdefault("fleet_gpu_util", []).append(Answer([], answer.error))
            ranks = [s for s in answer.series if s.labels.get("stat") == "rank"]
            for known, s in self.of_known(ranks):
                if s.last is not None:
                    scored.append((-s.last, known.label, i, s.labels["deployment"]))
        chosen: dict[int, dict[str, str]] = {}  # scope's index -> name -> runtime
        for _, _, i, name in sorted(scored, key=lambda item: item[:2])[:HEATMAP_ROWS]:
            chosen.setdefault(i, {})[name] = ranked[i][0].deployments.get(name, "")
        return [
            Ask(
                "fleet_gpu_util",
                replace(ranked[i][0], deployments=names, all_deployments=False),
                self.win,
            )
            for i, names in sorted(chosen.items())
        ]

    def series(self, template: str, panel: Panel) -> list[Series]:
        """The series `template` got from every Prometheus in view; errors go to the panel."""
        series: list[Series] = []
        errors: list[str] = []
        for answer in self.answers.get(template, []):
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

    def gpu_holders(self) -> set[str]:
        """Keys of the deployments in view that hold a GPU at the window's end."""
        held = self.answers.get("fleet_gpu_top", [])
        series = [s for answer in held for s in answer.series if s.labels.get("stat") == "gpus"]
        return {known.key for known, _ in self.of_known(series)}

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
    # Lines of the busiest HEATMAP_ROWS deployments only, whatever the size of the fleet.
    series = ctx.series("fleet_gpu_util", panel)
    grid = list(range(ctx.win.start, ctx.win.end + 1, ctx.win.step))
    rows: list[tuple[float, charts.Row]] = []
    keys: dict[str, str] = {}  # row label -> deployment key
    for known, s in ctx.of_known(series):
        by_time = dict(s.points)
        values = [by_time.get(float(t)) for t in grid]
        present = [v for v in values if v is not None]
        if present:
            rows.append((statistics.fmean(present), charts.Row(known.label, values)))
            keys[known.label] = known.key
    shown = busiest_rows(rows, HEATMAP_ROWS)
    # Those left out: whoever else has a row, or holds a GPU now (the top-consumers
    # query lists every holder, so the count is exact even when Prometheus cut the rows).
    others = (set(keys.values()) | ctx.gpu_holders()) - {keys[row.label] for row in shown}
    if others:
        panel.title = title = f"GPU utilization of the {len(shown):,} busiest deployments"
    if not panel.error or rows:
        panel.figure = charts.heatmap(
            title,
            charts.PERCENT,
            "GPU busy",
            grid,
            shown,
            ctx.empty_message("dcgm-exporter series"),
            footnote=more_rows_note(len(shown), len(others), ctx.win.name),
        )
    return panel


def busiest_rows(rows: Iterable[tuple[float, charts.Row]], limit: int) -> list[charts.Row]:
    """The `limit` rows of highest mean (ties by label), busiest first."""
    ranked = sorted(rows, key=lambda item: (-item[0], item[1].label))
    return [row for _, row in ranked[:limit]]


def more_rows_note(shown: int, more: int, range_name: str) -> str:
    """What the heatmap says of the deployments it leaves out; '' when it leaves none out."""
    if more <= 0:
        return ""
    rows = "deployment" if shown == 1 else f"{shown:,} deployments"
    others = "deployment holds" if more == 1 else "deployments hold"
    return (
        f"The busiest {rows} over the last {range_name}; {more:,} more {others} GPUs: "
        "filter the deployments list by team or environment to see theirs."
    )


def _fleet_top_consumers(ctx: _FleetContext) -> Panel:
    title = f"Top GPU consumers (GPUs held at {_clock(ctx.win.end)} UTC)"
    panel = _panel("fleet_gpu_top", title, charts.GPUS)
    series = ctx.series("fleet_gpu_top", panel)
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
    series = ctx.series("fleet_gpus_allocated", panel)
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
    series = ctx.series("fleet_latency_p95", panel)
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
