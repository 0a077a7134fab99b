"""PromQL from templates, and range and instant queries against Prometheus.

Plain data in, plain data out: callers describe what is in view as a `Scope`
(a Prometheus URL, its templates, namespaces and Kubernetes Deployment names),
and get `Series` back. No ORM here; apps.monitoring.services builds the scopes.

A panel is one query, whatever the number of deployments: queries select by
namespace and group by (namespace, deployment). Whatever a template returns, only
series of the scope's namespaces and deployments come back (`in_scope`).
Answers, and failures, are cached for PROMETHEUS_CACHE_S in the shared cache, so
many viewers cost one query, and a Prometheus that is down or slow is not asked
again meanwhile. Only Prometheus' own API errors are quoted in a panel, and URLs
are shown without their user name and password.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from redis.exceptions import RedisError
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from apps.core.lib import promql
from apps.core.lib.urls import http_url_problem, redact_userinfo
from apps.registry.runtimes import PRESETS

log = logging.getLogger(__name__)

# The ranges a page offers, in seconds.
RANGES: dict[str, int] = {"15m": 900, "1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400}
DEFAULT_RANGE = "1h"
# Steps that fall on whole minutes and hours, so charts line up and cache keys repeat.
STEPS = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
MAX_POINTS = 300
# How many series a `topk(${top}, ...)` template keeps, unless the caller says otherwise.
TOP = 10
# Points over the range of a subquery that only ranks series (`${rank_step}`): a mean
# of a few samples orders deployments well enough, at a tenth of the work of sixty.
RANK_POINTS = 6

_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class RangeError(ValueError):
    """A range that is not one of RANGES; the message lists the valid ones."""


@dataclass(frozen=True)
class Window:
    """The time span of a page: [start, end] every `step` seconds, end aligned to the step."""

    name: str
    start: int
    end: int
    step: int

    @property
    def seconds(self) -> int:
        return self.end - self.start

    @property
    def points(self) -> int:
        return self.seconds // self.step + 1


def window(range_name: str, now: float | None = None, max_points: int = MAX_POINTS) -> Window:
    """The window of `range_name` ending at `now`, with at most about `max_points` per series."""
    if range_name not in RANGES:
        raise RangeError(
            f"Unknown range '{range_name}'; use one of {', '.join(RANGES)}, e.g. ?range=1h."
        )
    seconds = RANGES[range_name]
    step = next((s for s in STEPS if seconds // s <= max_points), STEPS[-1])
    now = time.time() if now is None else now
    # Aligned to the step: every viewer in the same step asks the same query (one
    # cache entry), and the chart does not shift by a few seconds on each reload.
    end = int(now // step) * step
    return Window(name=range_name, start=end - seconds, end=end, step=step)


def rank_step(win: Window) -> int:
    """A step of about RANK_POINTS points over `win`, never finer than its own step."""
    return next((s for s in STEPS if s >= win.step and win.seconds // s <= RANK_POINTS), STEPS[-1])


@dataclass(frozen=True)
class Series:
    """One time series: its labels, and (unix seconds, value) points; None is a gap."""

    labels: dict[str, str]
    points: list[tuple[float, float | None]]

    @property
    def last(self) -> float | None:
        return next((v for _, v in reversed(self.points) if v is not None), None)


@dataclass(frozen=True)
class Scope:
    """What one Prometheus is asked about: plain data built from the deployments in view.

    `deployments` maps each Kubernetes Deployment name to its serving runtime;
    `all_deployments` says the page shows every deployment of the namespaces (the
    fleet), so queries need not list names.
    """

    url: str
    templates: Mapping[str, str]
    namespaces: tuple[str, ...]
    deployments: Mapping[str, str] = field(default_factory=dict)
    all_deployments: bool = False

    @property
    def shown_url(self) -> str:
        """The URL as pages and logs may show it: without its user name and password."""
        return redact_userinfo(self.url)


@dataclass(frozen=True)
class Answer:
    """A query's series, or why there are none (`error`), and the PromQL that was sent."""

    series: list[Series]
    error: str = ""
    query: str = ""


def templates(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The templates in force: runtime histograms from the presets, settings, then overrides."""
    merged = {
        f"histogram.{runtime}": preset.latency_histogram.removesuffix("_bucket")
        for runtime, preset in PRESETS.items()
    }
    merged.update(settings.GANTRY_PROMQL)
    merged.update(overrides or {})
    return merged


def runtimes() -> list[str]:
    return [str(runtime) for runtime in PRESETS]


def _alternation(names: Iterable[str]) -> str:
    names = sorted(set(names))
    for name in names:
        # Names are DNS labels (checked by the models); anything else would change the regex.
        if not _NAME_RE.match(name):
            raise ValueError(f"'{name}' is not a Kubernetes name")
    return "|".join(names)


def _uses_runtime(name: str, tmpl: Mapping[str, str]) -> bool:
    """Whether template `name` expands differently per runtime (uses ${histogram} or X.<rt>)."""
    seen: set[str] = set()
    stack = [name]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for ref in promql.PLACEHOLDER_RE.findall(tmpl.get(current, "")):
            if ref == "histogram" or any(k.startswith(f"{ref}.") for k in tmpl):
                return True
            if ref in tmpl:
                stack.append(ref)
    return False


def build_query(name: str, scope: Scope, win: Window, top: int = TOP) -> str:
    """The PromQL of template `name` for `scope` over `win`; one query for the whole scope.

    A template that depends on the serving runtime is expanded once per group of
    runtimes that expand alike, each part limited to its own deployments, and the
    parts joined with `or`. `top` fills `${top}`, for templates that keep only the
    largest series (`topk`) so that Prometheus, not Python, drops the rest.
    """
    variables = {
        "namespaces": _alternation(scope.namespaces),
        "window": f"{max(win.step, settings.PROMETHEUS_RATE_WINDOW_S)}s",
        "range": f"{win.seconds}s",
        "step": f"{win.step}s",
        "rank_step": f"{rank_step(win)}s",
        "top": str(top),
    }
    everyone = ".+" if scope.all_deployments else _alternation(scope.deployments)
    if not _uses_runtime(name, scope.templates):
        return promql.expand(name, scope.templates, {**variables, "deployments": everyone})
    by_runtime: dict[str, list[str]] = {}
    for deployment, runtime in scope.deployments.items():
        by_runtime.setdefault(runtime, []).append(deployment)
    groups: dict[str, list[str]] = {}  # expansion -> deployments
    probe = {**variables, "deployments": "\x00"}
    for runtime in sorted(by_runtime):
        shape = promql.expand(name, scope.templates, probe, runtime)
        groups.setdefault(shape, []).extend(by_runtime[runtime])
    if len(groups) == 1:
        return next(iter(groups)).replace("\x00", everyone)
    return " or ".join(
        f"({shape.replace(chr(0), _alternation(names))})" for shape, names in groups.items()
    )


# --- running queries ------------------------------------------------------------


class PrometheusError(Exception):
    """A failed query, with a message fit to show in the panel."""

    def __init__(self, message: str, *, down: bool) -> None:
        super().__init__(message)
        self.message = message
        # Down (unreachable, slow, 5xx): every query to it would fail alike for a while.
        self.down = down


def _client(url: str, timeout: float) -> PrometheusConnect:
    # No retries: a struggling Prometheus gets one question, not three per viewer.
    return PrometheusConnect(url=url, timeout=timeout, retry=Retry(total=0, redirect=0))


# Prometheus' own error messages quote the query; longer ones are cut here.
MAX_ERROR_CHARS = 500


def _error_text(exc: PrometheusApiClientException) -> tuple[int, str]:
    """Status code and Prometheus' own error message out of the client's exception text.

    The message is '' unless the body is a Prometheus API error (JSON with
    status "error", errorType and error): whatever else answers at the URL (an
    internal service, a login page) is never echoed to the viewers of a panel.
    """
    # The client words it "HTTP Status Code <code> (<repr of the body's bytes>)".
    match = re.match(r"HTTP Status Code (\d+) \((b'.*'|b\".*\")\)$", str(exc), re.S)
    if not match:
        return 0, ""
    status = int(match.group(1))
    try:
        body = json.loads(ast.literal_eval(match.group(2)))
    except (ValueError, SyntaxError, RecursionError):  # not a bytes literal, or not JSON
        return status, ""
    if (
        isinstance(body, dict)
        and body.get("status") == "error"
        and isinstance(body.get("errorType"), str)
        and isinstance(body.get("error"), str)
    ):
        return status, body["error"][:MAX_ERROR_CHARS]
    return status, ""


def _not_prometheus(shown: str, what: str) -> PrometheusError:
    return PrometheusError(
        f"The server at {shown} did not answer like Prometheus ({what}); "
        "is the Prometheus URL right?",
        down=True,
    )


def _run(url: str, query: str, timeout: float, win: Window | None, at: float | None) -> list:
    shown = redact_userinfo(url)
    client = _client(url, timeout)
    # Prometheus stops evaluating at the same deadline, instead of working on for nobody.
    params = {"timeout": f"{timeout:g}s"}
    try:
        if win is not None:
            return client.custom_query_range(
                query,
                start_time=_dt(win.start),
                end_time=_dt(win.end),
                step=str(win.step),
                params=params,
            )
        return client.custom_query(query, params={**params, "time": at})
    except requests.Timeout:
        raise PrometheusError(
            f"Prometheus at {shown} did not answer in {timeout:g} s.", down=True
        ) from None
    except requests.ConnectionError as exc:
        if _timed_out(exc):
            raise PrometheusError(
                f"Prometheus at {shown} did not answer in {timeout:g} s.", down=True
            ) from None
        reason = _root_reason(exc)
        raise PrometheusError(
            f"Prometheus at {shown} cannot be reached: {reason}.", down=True
        ) from None
    except requests.JSONDecodeError:  # a RequestException too: something else is at that URL
        raise _not_prometheus(shown, "not JSON") from None
    except requests.RequestException as exc:
        # Invalid URL, too many redirects, a broken body: the message may quote the URL.
        reason = redact_userinfo(str(exc))[:200]
        raise PrometheusError(f"Prometheus at {shown} failed: {reason}.", down=True) from None
    except PrometheusApiClientException as exc:
        status, message = _error_text(exc)
        if not message:
            raise _not_prometheus(shown, f"HTTP {status}, not a Prometheus API error") from None
        if status in (400, 422):
            # The query is at fault (a template, not the server): say what Prometheus said.
            raise PrometheusError(
                f"Prometheus at {shown} rejected the query: {message}", down=False
            ) from None
        raise PrometheusError(
            f"Prometheus at {shown} answered HTTP {status}: {message}", down=status >= 500
        ) from None
    except (KeyError, TypeError):  # JSON, but without data.result: something else is there
        raise _not_prometheus(shown, "no query result in its JSON") from None
    finally:
        client.close()


def _timed_out(exc: requests.ConnectionError) -> bool:
    # Without retries, urllib3 reports a read timeout as the reason of a MaxRetryError,
    # which requests raises as a ConnectionError.
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # NewConnectionError (refused, unknown host) is a ConnectTimeoutError subclass in urllib3 2.
    if isinstance(reason, NewConnectionError):
        return False
    return isinstance(reason, ReadTimeoutError | ConnectTimeoutError)


def _root_reason(exc: BaseException) -> str:
    text = str(exc)
    for known in ("Connection refused", "Name or service not known", "No route to host"):
        if known in text:
            return known.lower()
    return redact_userinfo(text)[:200]


def _dt(ts: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC)


def _value(raw: str) -> float | None:
    value = float(raw)
    return None if math.isnan(value) or math.isinf(value) else value


def _to_series(result: list, instant: bool) -> list[Series]:
    series = []
    for item in result:
        labels = {k: v for k, v in item.get("metric", {}).items() if k != "__name__"}
        if instant:
            ts, raw = item["value"]
            points = [(float(ts), _value(raw))]
        else:
            points = [(float(ts), _value(raw)) for ts, raw in item.get("values", [])]
        series.append(Series(labels=labels, points=points))
    return series


def _key(*parts: object) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"prom:{digest[:40]}"


def _cache_get(key: str) -> Any:
    # The cache is Redis (settings.CACHES), whose client raises RedisError (connection
    # and timeout errors included). A cache outage must cost speed, not the page.
    try:
        return cache.get(key)
    except RedisError as exc:
        log.warning("dashboard cache unavailable: %s", exc)
        return None


def _cache_set(key: str, value: Any, ttl: int) -> None:
    if ttl <= 0:
        return
    try:
        cache.set(key, value, ttl)
    except RedisError as exc:
        log.warning("dashboard cache unavailable: %s", exc)


def _query(url: str, query: str, win: Window | None, at: float | None) -> Answer:
    problem = http_url_problem(url)
    if problem:  # a row written before the model checked it: never asked
        error = f"The Prometheus URL '{redact_userinfo(url)}' {problem}"
        return Answer(series=[], error=error, query=query)
    timeout = float(settings.PROMETHEUS_TIMEOUT_S)
    ttl = settings.PROMETHEUS_CACHE_S
    down_key = _key("down", url)
    down = _cache_get(down_key)
    if down:
        return Answer(series=[], error=down, query=query)
    key = _key(url, query, win, at)
    cached = _cache_get(key)
    if cached is not None:
        return Answer(series=cached["series"], error=cached["error"], query=query)
    try:
        result = _run(url, query, timeout, win, at)
        try:
            series = _to_series(result, instant=win is None)
        except (ValueError, KeyError, TypeError, AttributeError):
            # The values are not echoed: they are whatever the server at the URL sent.
            raise _not_prometheus(redact_userinfo(url), "its result is not series") from None
        error = ""
    except PrometheusError as exc:
        log.warning("dashboard query failed: %s", exc.message)
        series, error = [], exc.message
        if exc.down:
            # Every panel after this one, for every viewer, gets the same answer at once
            # instead of waiting out its own timeout.
            _cache_set(down_key, exc.message, ttl)
    _cache_set(key, {"series": series, "error": error}, ttl)
    return Answer(series=series, error=error, query=query)


def namespace_of(labels: Mapping[str, str]) -> str:
    """The namespace a series is about, read as the templates read dcgm-exporter's labels.

    Scraped through a pod or service monitor, the exporter's own `namespace` label
    is the scrape target's, and the GPU pod's arrives as `exported_namespace`.
    """
    return labels.get("exported_namespace") or labels.get("namespace", "")


def in_scope(series: Iterable[Series], scope: Scope) -> list[Series]:
    """The series that belong to `scope`, whatever the template asked Prometheus for.

    Templates are data (a cluster may override them), so what they return is not
    trusted to be scoped: a series is kept when its namespace is one of the scope's
    and its `deployment` label one of the scope's deployments. Only the fleet
    (`all_deployments`) keeps per-namespace series, which carry no deployment label.
    """
    namespaces = set(scope.namespaces)
    kept = []
    for s in series:
        if namespace_of(s.labels) not in namespaces:
            continue
        deployment = s.labels.get("deployment")
        if deployment is None and not scope.all_deployments:
            continue
        if deployment is not None and deployment not in scope.deployments:
            continue
        kept.append(s)
    return kept


def _ask(name: str, scope: Scope, win: Window, at: float | None, top: int = TOP) -> Answer:
    try:
        query = build_query(name, scope, win, top)
    except (promql.TemplateError, ValueError) as exc:
        return Answer(series=[], error=f"PromQL template problem: {exc}")
    answer = _query(scope.url, query, None if at is not None else win, at)
    # Filtered after the cache: a template without matchers sends every scope the same
    # query, and so shares one cached answer between teams.
    return Answer(series=in_scope(answer.series, scope), error=answer.error, query=answer.query)


def query_range(name: str, scope: Scope, win: Window, top: int = TOP) -> Answer:
    """Template `name` over `win` for `scope`: one range query (or a cached answer)."""
    return _ask(name, scope, win, None, top)


def query_instant(name: str, scope: Scope, win: Window, top: int = TOP) -> Answer:
    """Template `name` at the end of `win` for `scope`: one instant query (or a cached answer)."""
    return _ask(name, scope, win, float(win.end), top)
