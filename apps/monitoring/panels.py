"""What both dashboards are made of: panels, a dashboard, the deployments in view, and
one way to ask Prometheus."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from apps.clusters.models import Cluster
from apps.deployments.models import Deployment
from apps.monitoring import charts, prometheus
from apps.monitoring.prometheus import Answer, Scope, Series, Window


@dataclass
class Panel:
    """One panel as pages and the API show it: a figure, or the reason there is none."""

    key: str
    title: str
    unit: str
    figure: charts.Figure | None = None
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


def prometheus_url(cluster: Cluster) -> str:
    return cluster.prometheus_url or settings.PROMETHEUS_URL


def ask(
    spec_template: str, scope: Scope, win: Window, instant: bool = False, top: int = prometheus.TOP
) -> Answer:
    ask = prometheus.query_instant if instant else prometheus.query_range
    return ask(spec_template, scope, win, top)


@dataclass(frozen=True)
class Ask:
    """One question of a page: a template for a scope, over a window or at its end."""

    template: str
    scope: Scope
    win: Window
    instant: bool = False
    top: int = prometheus.TOP


# Queries are HTTP calls that mostly wait on Prometheus: a page's panels ask side by
# side. Shared by the requests of a process, so that its threads (and each thread's
# cache connection) are reused; more asks than workers wait their turn.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="prometheus")


def _ask_one(question: Ask) -> Answer:
    return ask(question.template, question.scope, question.win, question.instant, question.top)


def ask_later(question: Ask) -> Future[Answer]:
    """`question` asked in the background; `.result()` waits for its answer."""
    return _POOL.submit(_ask_one, question)


def ask_all(questions: Sequence[Ask]) -> list[Answer]:
    """The answer to each of `questions`, in their order; the queries run concurrently."""
    if len(questions) <= 1:
        return [_ask_one(question) for question in questions]
    return list(_POOL.map(_ask_one, questions))


def line_data(name: str, series: Series) -> dict[str, Any]:
    return {"name": name, "labels": series.labels, "points": [list(p) for p in series.points]}
