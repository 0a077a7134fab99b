"""GPU-utilization sparklines for the rows of one deployments-list page.

The list (apps.deployments) comes before monitoring in the import order and must
not wait on Prometheus, so it renders at once and asks for this fragment over
htmx: one range query per Prometheus for all the page's rows (normally one),
never one per row. Another team's id is skipped as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from apps.deployments.models import Deployment
from apps.monitoring import prometheus
from apps.monitoring.panels import ask, prometheus_url, visible_deployments
from apps.monitoring.prometheus import Scope, Window

SPARK_RANGE = "1h"
SPARK_POINTS = 30
MAX_ROWS = 200  # the list's largest page
WIDTH, HEIGHT = 120, 24


@dataclass(frozen=True)
class Spark:
    """One row's line as SVG points (0 to 100 % mapped onto the box), or why there is none."""

    points: str = ""
    last: float | None = None
    note: str = ""
    short: str = "no data"


def parse_ids(raw: str) -> list[int]:
    """'3,1,2' -> [3, 1, 2]; anything that is not a whole number is left out."""
    ids = [int(part) for part in raw.split(",") if part.strip().isascii() and part.isdigit()]
    return ids[:MAX_ROWS]


def page_sparklines(user: Any, ids: Iterable[int], now: float | None = None) -> dict[int, Spark]:
    """Sparklines of the deployments among `ids` that `user` may see and that ask for GPUs."""
    deployments = list(
        visible_deployments(user).filter(pk__in=list(ids), gpu_count__gt=0).order_by("pk")
    )
    if not deployments:
        return {}
    win = prometheus.window(SPARK_RANGE, now, max_points=SPARK_POINTS)
    sparks: dict[int, Spark] = {}
    for scope, members in _scopes(deployments):
        answer = ask("fleet_gpu_util", scope, win)
        by_key = {
            (prometheus.namespace_of(s.labels), s.labels.get("deployment", "")): s
            for s in answer.series
        }
        for d in members:
            series = by_key.get((d.namespace, d.name))
            if answer.error:
                sparks[d.pk] = Spark(
                    note=f"Prometheus did not answer: {answer.error}", short="unavailable"
                )
            elif series is None or series.last is None:
                sparks[d.pk] = Spark(note="No GPU data in the last hour.")
            else:
                sparks[d.pk] = Spark(points=svg_points(series.points, win), last=series.last)
    return sparks


def _scopes(deployments: list[Deployment]) -> list[tuple[Scope, list[Deployment]]]:
    """One scope per Prometheus (and set of templates), with the rows it answers for."""
    grouped: dict[tuple[str, str], tuple[dict[str, str], set[str], list[Deployment]]] = {}
    templates_of: dict[tuple[str, str], dict[str, str]] = {}
    for d in deployments:
        cluster = d.environment.cluster
        templates = prometheus.templates(cluster.promql)
        key = (prometheus_url(cluster), repr(sorted(templates.items())))
        templates_of[key] = templates
        names, namespaces, members = grouped.setdefault(key, ({}, set(), []))
        names[d.name] = d.model_version.runtime
        namespaces.add(d.namespace)
        members.append(d)
    return [
        (
            Scope(
                url=key[0],
                templates=templates_of[key],
                namespaces=tuple(sorted(namespaces)),
                deployments=names,
            ),
            members,
        )
        for key, (names, namespaces, members) in grouped.items()
    ]


def svg_points(points: list[tuple[float, float | None]], win: Window) -> str:
    """'x,y x,y ...' in a WIDTH by HEIGHT box: time across the window, 0 to 100 % upwards."""
    span = max(1, win.end - win.start)
    out = []
    for t, v in points:
        if v is None:
            continue
        x = (t - win.start) / span * WIDTH
        y = HEIGHT - min(max(v, 0.0), 100.0) / 100 * HEIGHT
        out.append(f"{x:.1f},{y:.1f}")
    return " ".join(out)
