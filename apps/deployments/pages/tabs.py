"""What each tab of the deployment page shows: plain context built from the record,
the pods service, the audit trail, the revisions and the manifests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import yaml
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime

from apps.deployments import conditions as conds
from apps.deployments import manifests, podlogs
from apps.deployments.choices import ConditionType
from apps.deployments.models import Deployment, Event, Revision
from apps.deployments.pages import forms, logs, words
from apps.deployments.reconciler.specs import spec_of
from apps.registry.models import ModelVersion

EVENTS_PER_PAGE = 50
REVISIONS_SHOWN = 100


def _when(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def conditions_context(deployment: Deployment) -> dict[str, Any]:
    """The conditions in their usual order, with since when they hold; Exposed only where
    the environment exposes deployments or the record has one."""
    by_type = {c.get("type"): c for c in deployment.conditions}
    rows = []
    for type_ in conds.ORDER:
        if (
            type_ == ConditionType.EXPOSED
            and type_ not in by_type
            and not deployment.environment.exposure_settings.enabled
        ):
            continue
        c = by_type.get(type_, {})
        rows.append(
            {
                "type": type_,
                "status": c.get("status", "Unknown"),
                "reason": c.get("reason", ""),
                "message": c.get("message", "Not observed yet."),
                "since": _when(c.get("last_transition_time")),
            }
        )
    return {"condition_rows": rows}


def pods_context(deployment: Deployment) -> dict[str, Any]:
    """The pods as the pods service lists them, with their age and previous-log links."""
    try:
        rows = podlogs.list_pods(deployment)
    except podlogs.PodsError as exc:
        return {"pod_rows": [], "pods_error": str(exc)}
    shown = []
    for row in rows:
        started = _when(row.get("started_at"))
        container = (row.get("containers") or [manifests.CONTAINER])[0]
        shown.append(
            {
                **row,
                "started": started,
                "log_url": logs.logs_url(deployment, row["name"], container, False),
                "previous_url": (
                    logs.logs_url(deployment, row["name"], container, True)
                    if row.get("restarts")
                    else ""
                ),
            }
        )
    return {"pod_rows": shown, "pods_error": ""}


def overview_tab(request: HttpRequest, deployment: Deployment) -> dict[str, Any]:
    return {**conditions_context(deployment), "range": request.GET.get("range", "")}


def pods_tab(request: HttpRequest, deployment: Deployment) -> dict[str, Any]:
    return pods_context(deployment)


def events_tab(request: HttpRequest, deployment: Deployment) -> dict[str, Any]:
    """One timeline, newest first: Gantry's audit trail (who did what), the reconciler's
    condition changes, and Kubernetes' own events (scheduler, kubelet) while the
    cluster keeps them. Pages follow the stored events; each Kubernetes event goes
    on the page whose time span holds it."""
    events = Event.objects.filter(deployment=deployment).order_by("-created_at", "-id")
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    stored = list(page.object_list)
    rows = [
        {
            "when": e.created_at,
            "source": e.get_source_display(),
            "who": "" if e.source == "cluster" else e.actor_name,
            "what": e.verb,
            "message": e.message,
        }
        for e in stored
    ]
    kube_error = ""
    try:
        live = podlogs.list_events(deployment)
    except podlogs.PodsError as exc:
        live, kube_error = [], str(exc)
    newest = stored[0].created_at if stored and page.number > 1 else None
    oldest = stored[-1].created_at if stored and page.has_next() else None
    for event in live:
        when = _when(event["when"])
        if when is None or (newest and when > newest) or (oldest and when <= oldest):
            continue
        count = f" (seen {event['count']} times)" if event["count"] > 1 else ""
        rows.append(
            {
                "when": when,
                "source": "Kubernetes",
                "who": event["component"],
                "what": event["reason"],
                "message": f"{event['object']}: {event['message']}{count}",
                "warning": event["type"] == "Warning",
            }
        )
    rows.sort(key=lambda r: r["when"], reverse=True)
    return {"events_page": page, "timeline": rows, "kube_events_error": kube_error}


def _version_names(specs: list[dict[str, Any]]) -> dict[int, str]:
    ids = {s.get(f) for s in specs for f in ("model_version", "canary_version")} - {None}
    return dict(ModelVersion.objects.filter(pk__in=ids).values_list("pk", "version"))


def _revision_number(request: HttpRequest, key: str) -> int | None:
    try:
        return int(request.GET.get(key, ""))
    except ValueError:
        return None


def history_tab(request: HttpRequest, deployment: Deployment) -> dict[str, Any]:
    """Revisions newest first with what each changed, and two of them side by side."""
    revisions = list(
        Revision.objects.filter(deployment=deployment)
        .select_related("created_by")
        .order_by("-number")[: REVISIONS_SHOWN + 1]
    )
    left_n, right_n = _revision_number(request, "left"), _revision_number(request, "right")
    numbers = {r.number for r in revisions}
    wanted = {n for n in (left_n, right_n) if n is not None and n not in numbers}
    extra = list(Revision.objects.filter(deployment=deployment, number__in=wanted))
    by_number = {r.number: r for r in [*revisions, *extra]}
    names = _version_names([r.spec for r in by_number.values()])
    rows = []
    for i, rev in enumerate(revisions[:REVISIONS_SHOWN]):
        before = revisions[i + 1].spec if i + 1 < len(revisions) else None
        if before is None and rev.number > 1:
            what = rev.reason  # older than what is shown: the service's own words
        else:
            what = words.changes_in_words(before, rev.spec, names)
        rows.append({"revision": rev, "what": what, "reason": rev.reason})
    context: dict[str, Any] = {
        "revision_rows": rows,
        "current_number": deployment.generation,
        "more_revisions": len(revisions) > REVISIONS_SHOWN,
    }
    right = by_number.get(right_n) if right_n else (revisions[0] if revisions else None)
    left = by_number.get(left_n) if left_n else (revisions[1] if len(revisions) > 1 else None)
    if left is not None and right is not None:
        context.update(
            diff_left=left,
            diff_right=right,
            diff_rows=words.spec_diff(left.spec, right.spec, names),
        )
    context["diff_missing"] = [n for n in (left_n, right_n) if n and n not in by_number]
    return context


def manifest_tab(request: HttpRequest, deployment: Deployment) -> dict[str, Any]:
    """The objects Gantry applies for the current spec, as YAML, and what the cluster owns."""
    spec = spec_of(deployment)
    objects = manifests.deployment_objects(spec)
    text = yaml.safe_dump_all(objects, sort_keys=False, default_flow_style=False)
    owned = [
        "status of every object (the controllers write it)",
        "metadata such as uid, resourceVersion and managedFields",
    ]
    if spec.autoscaled:
        owned.insert(
            0,
            f"spec.replicas of Deployment {spec.name}: the HorizontalPodAutoscaler sets it "
            f"between {spec.min_replicas} and {spec.max_replicas}, so Gantry leaves it out",
        )
    return {"manifest_yaml": text, "cluster_owned": owned, "object_count": len(objects)}


def actions_tab(request: HttpRequest, deployment: Deployment) -> dict[str, Any]:
    return {"forms": forms.initial_forms(deployment)}


TAB_BUILDERS: dict[str, Callable[[HttpRequest, Deployment], dict[str, Any]]] = {
    "overview": overview_tab,
    "pods": pods_tab,
    "logs": logs.logs_tab,
    "events": events_tab,
    "history": history_tab,
    "manifest": manifest_tab,
    "actions": actions_tab,
}
