"""The Logs tab: a container's log read through `podlogs`, escaped and without
terminal escapes, followed by polling, and downloadable as text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from apps.deployments import podlogs, pods
from apps.deployments.models import Deployment
from apps.deployments.pages import words
from apps.deployments.pages.scope import fetch

TAILS = (100, 500, 1000)
DEFAULT_TAIL = 500


@dataclass(frozen=True)
class LogChoice:
    """What the Logs tab shows, as its URL says: `?pod=&container=&tail=&previous=1&follow=1`."""

    pod: str
    container: str
    tail: int
    previous: bool
    follow: bool

    def query(self, **override: Any) -> str:
        data = {
            "pod": self.pod,
            "container": self.container,
            "tail": self.tail,
            "previous": "1" if self.previous else "",
            "follow": "1" if self.follow else "",
            **override,
        }
        return urlencode({k: v for k, v in data.items() if v not in ("", None)})


def choice_from(request: HttpRequest) -> LogChoice:
    """The choice in the URL; anything malformed falls back to the default."""
    get = request.GET
    try:
        tail = int(get.get("tail", DEFAULT_TAIL))
    except ValueError:
        tail = DEFAULT_TAIL
    pod, container = get.get("pod", ""), get.get("container", "")
    return LogChoice(
        pod=pod if pods.is_pod_name(pod) else "",
        container=container if pods.is_container_name(container) else "",
        tail=tail if tail in TAILS else DEFAULT_TAIL,
        previous=get.get("previous") in ("1", "true", "on"),
        follow=get.get("follow") in ("1", "true", "on"),
    )


def logs_url(deployment: Deployment, pod: str, container: str, previous: bool) -> str:
    query = LogChoice(pod, container, DEFAULT_TAIL, previous, False).query()
    return f"{reverse('deployments:detail', args=[deployment.pk])}?tab=logs&{query}"


def read(deployment: Deployment, choice: LogChoice) -> tuple[str, str]:
    """(text, error): the log without terminal escapes, or why it cannot be shown."""
    if not choice.pod:
        return "", ""
    try:
        text = podlogs.read_log(
            deployment,
            choice.pod,
            podlogs.LogRequest(
                container=choice.container, previous=choice.previous, tail_lines=choice.tail
            ),
        )
    except podlogs.PodsError as exc:
        return "", str(exc)
    return words.strip_terminal(text), ""


def logs_tab(request: HttpRequest, deployment: Deployment) -> dict[str, Any]:
    choice = choice_from(request)
    rows, error = [], ""
    try:
        rows = podlogs.list_pods(deployment)
    except podlogs.PodsError as exc:
        error = str(exc)
    if not choice.pod and rows:
        choice = LogChoice(rows[0]["name"], "", choice.tail, choice.previous, choice.follow)
    row = next((r for r in rows if r["name"] == choice.pod), None)
    containers = row["containers"] if row else []
    text, log_error = read(deployment, choice)
    return {
        "pod_rows": rows,
        "pods_error": error,
        "choice": choice,
        "containers": containers,
        "tails": TAILS,
        **_log_context(deployment, choice, text, log_error),
    }


def _log_context(deployment: Deployment, choice: LogChoice, text: str, error: str) -> dict:
    base = reverse("deployments:log", args=[deployment.pk])
    return {
        "log_text": text,
        "log_error": error,
        "log_lines": text.count("\n") + (1 if text and not text.endswith("\n") else 0),
        "log_fragment_url": f"{base}?{choice.query()}",
        "download_url": reverse("deployments:log-download", args=[deployment.pk])
        + f"?{choice.query(follow='', tail='')}",
    }


@login_required
def log_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The log box alone: what `follow` polls."""
    deployment = fetch(request, pk)
    choice = choice_from(request)
    text, error = read(deployment, choice)
    context = {"deployment": deployment, "choice": choice}
    context.update(_log_context(deployment, choice, text, error))
    return render(request, "deployments/detail/_log.html", context)


@login_required
def log_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The log as a text file (the most the settings allow), named after pod and container."""
    deployment = fetch(request, pk)
    choice = choice_from(request)
    choice = LogChoice(choice.pod, choice.container, 0, choice.previous, False)
    if not choice.pod:
        return HttpResponse("Choose a pod: ?pod=<name>.\n", status=400, content_type=TEXT)
    try:
        text = podlogs.read_log(
            deployment,
            choice.pod,
            podlogs.LogRequest(container=choice.container, previous=choice.previous),
        )
    except podlogs.PodNotFound as exc:
        return HttpResponse(f"{exc}\n", status=404, content_type=TEXT)
    except podlogs.PodsError as exc:
        return HttpResponse(f"{exc}\n", status=409, content_type=TEXT)
    suffix = "-previous" if choice.previous else ""
    name = f"{choice.pod}{'-' + choice.container if choice.container else ''}{suffix}.log"
    response = HttpResponse(words.strip_terminal(text), content_type=TEXT)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


TEXT = "text/plain; charset=utf-8"
