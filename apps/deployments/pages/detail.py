"""The deployment page: a header, tabs chosen by `?tab=`, and the fragments that poll.

Each view is a scoped fetch (another team's deployment is a 404), the data of
one tab, and a render. The header, the conditions and the pods are also served
alone (`live/<part>/`) so the page refreshes them in place every few seconds.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from apps.deployments import exposure, manifests, podlogs
from apps.deployments.choices import Reason
from apps.deployments.models import Deployment
from apps.deployments.pages import logs, tabs, words
from apps.deployments.pages.scope import can_act, fetch

TABS = {
    "overview": "Overview",
    "pods": "Pods",
    "logs": "Logs",
    "events": "Events",
    "history": "History",
    "manifest": "Manifest",
    "actions": "Actions",
}
LIVE_PARTS = ("header", "conditions", "pods")
# Reasons whose words name a pod and its log: only then is the header worth a pods read.
NEEDS_PODS = {Reason.CRASH_LOOP_BACK_OFF, Reason.OOM_KILLED, Reason.PROGRESS_DEADLINE_EXCEEDED}


def _degraded_reason(deployment: Deployment) -> str:
    degraded = deployment.condition("Degraded") or {}
    return degraded.get("reason", "") if degraded.get("status") == "True" else ""


def header_context(deployment: Deployment, pods: list[dict[str, Any]] | None = None) -> dict:
    """The header: badge, reason in words, generations, the in-cluster and external URLs."""
    if pods is None and _degraded_reason(deployment) in NEEDS_PODS:
        try:
            pods = podlogs.list_pods(deployment)
        except podlogs.PodsError:
            pods = None  # the conditions' own words still say what happened
    resource = (
        f"nvidia.com/mig-{deployment.mig_profile}"
        if deployment.mig_profile
        else manifests.GPU_RESOURCE
    )
    headline = words.headline(
        deployment.state,
        deployment.conditions,
        pods,
        gpu_count=deployment.gpu_count,
        gpu_resource=resource,
    )
    log_url = ""
    if headline.log:
        log_url = logs.logs_url(
            deployment, headline.log.pod, headline.log.container, headline.log.previous
        )
    addresses = exposure.urls(
        name=deployment.name,
        namespace=deployment.namespace,
        team=deployment.team.name,
        environment=deployment.environment.name,
        rules=deployment.environment.exposure_settings,
    )
    endpoint = addresses["in_cluster"]
    return {
        "headline": headline,
        "log_url": log_url,
        "endpoint": endpoint,
        "external_url": addresses["external"],
        "curl": f"curl -sS {endpoint}{deployment.model_version.effective_health_path}",
        "behind": deployment.observed_generation < deployment.generation,
    }


@login_required
def deployment_page(request: HttpRequest, pk: int) -> HttpResponse:
    deployment = fetch(request, pk)
    tab = request.GET.get("tab", "overview")
    if tab not in TABS:
        tab = "overview"
    acts = can_act(request.user, deployment)
    if tab == "actions" and not acts:
        tab = "overview"
    context = page_context(request, deployment, tab, acts)
    context.update(tabs.TAB_BUILDERS[tab](request, deployment))
    return render(request, "deployments/detail.html", context)


def page_context(request: HttpRequest, deployment: Deployment, tab: str, acts: bool) -> dict:
    detail = reverse("deployments:detail", args=[deployment.pk])
    shown = {k: v for k, v in TABS.items() if k != "actions" or acts}
    return {
        "deployment": deployment,
        "tab": tab,
        "tabs": [{"key": k, "label": v, "url": f"{detail}?tab={k}"} for k, v in shown.items()],
        "can_act": acts,
        "breadcrumbs": [
            {"label": "Deployments", "url": reverse("deployments:list")},
            {"label": deployment.team.name, "url": ""},
            {"label": deployment.name, "url": detail},
        ],
        **header_context(deployment),
    }


@login_required
def live_fragment(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    """One polled part of the page, as the page itself renders it."""
    if part not in LIVE_PARTS:
        raise Http404("No such part of the page.")
    deployment = fetch(request, pk)
    context: dict[str, Any] = {"deployment": deployment}
    if part == "header":
        context.update(header_context(deployment))
    elif part == "conditions":
        context.update(tabs.conditions_context(deployment))
    else:
        context.update(tabs.pods_context(deployment))
    return render(request, f"deployments/detail/_{part}.html", context)
