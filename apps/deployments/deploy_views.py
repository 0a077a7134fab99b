"""The deploy page (`deployments:new`) and its live previews (`deployments:preview`).

Creating calls `services.create_deployment`, the API's own create; the previews
call `previews`, whose quota lines are admission's dry run.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.accounts.access import require_role, teams_for
from apps.accounts.choices import Role
from apps.deployments import previews, services
from apps.deployments.forms import DeployForm, initial_from
from apps.deployments.models import Deployment
from apps.registry.models import ModelVersion

REFRESH = "_refresh"  # posted by the version and environment selects: re-render, create nothing
DEPLOY_FORM = "deploy"  # `_form` of the deploy page: its previews also toggle its button


@login_required
@require_http_methods(["GET", "POST"])
def new_deployment(request: HttpRequest) -> HttpResponse:
    """The deploy form; `?version=<id>` preselects a model version of the user's teams."""
    _require_deployer(request.user)
    initial = _initial(request)
    creating = request.method == "POST" and REFRESH not in request.POST
    if creating:
        form = DeployForm(request.POST, user=request.user)
        form.set_gpu_offer(previews.gpu_offer(form.chosen("environment")))
        if form.is_valid():
            created = _create(request, form)
            if created is not None:
                messages.success(request, f"Deployment {created.name} created; it is starting.")
                return redirect(reverse("deployments:detail", args=[created.pk]))
    else:
        if request.method == "POST":
            initial = {k: v for k, v in request.POST.dict().items() if k in DeployForm.base_fields}
        form = DeployForm(initial=initial, user=request.user)
        form.set_gpu_offer(previews.gpu_offer(form.chosen("environment")))
    data = request.POST if request.method == "POST" else initial
    context = {
        "form": form,
        "breadcrumbs": [
            {"label": "Deployments", "url": reverse("deployments:list")},
            {"label": "New deployment", "url": ""},
        ],
        **preview_context(request.user, data),
    }
    partial = request.htmx and not creating
    template = "deployments/_deploy_form.html" if partial else "deployments/new.html"
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def preview(request: HttpRequest) -> HttpResponse:
    """The quota and capacity previews of a draft spec, as an HTML fragment.

    Parameters, posted (or in the query string) under the deploy form's names:
    `model_version`, `environment`, `scaling` (fixed|autoscale), `replicas`,
    `min_replicas`, `max_replicas`, `autoscaling_metric`, `autoscaling_target`,
    `gpu_kind` (none|gpu|mig), `gpu_model`, `mig_profile`, `gpu_count`, `cpu`, `memory`.
    Any may be missing; the previews say what they still need.

    `?deployment=<id>` previews a change of that existing deployment: fields not
    given keep its current values (so a form posting only cpu, memory and the GPU
    fields works), its version and environment are its own, and its current usage
    is not counted twice. Another team's deployment answers 404, a viewer 403.

    `_form=deploy` (the deploy page) adds an out-of-band swap of its submit button,
    disabled while the quota refuses the draft.
    """
    params = request.POST if request.method == "POST" else request.GET
    existing = _existing(request)
    if existing is None:
        _require_deployer(request.user)
        data: Any = params
    else:
        data = {**initial_from(existing), **params.dict()}
    context = preview_context(request.user, data, existing)
    context["submit_oob"] = params.get("_form") == DEPLOY_FORM
    return render(request, "deployments/_previews.html", context)


def preview_context(user: Any, data: Any, existing: Deployment | None = None) -> dict[str, Any]:
    """What the previews fragment shows for the draft that `data` describes."""
    form = DeployForm(data, user=user, preview=True)
    environment = existing.environment if existing else form.chosen("environment")
    form.set_gpu_offer(previews.gpu_offer(environment))
    version = existing.model_version if existing else form.chosen("model_version")
    context: dict[str, Any] = {"quota_lines": [], "over_quota": False, "capacity": None}
    if not form.is_valid():
        context["problems"] = [
            f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: {' '.join(errors)}"
            if name in form.fields
            else " ".join(errors)
            for name, errors in form.errors.items()
        ]
        return context
    if version is None:
        context["quota_hint"] = "Choose a model version to see its team's quota."
        context["capacity_hint"] = "Choose a model version and an environment to see if it fits."
        return context
    fields = form.spec()
    if existing is None:
        fields.update(team=version.model.team, model_version=version, environment=environment)
    draft = previews.draft(existing, **fields)
    try:
        lines = previews.quota_lines(draft, existing)
        verdict = previews.capacity_verdict(draft) if environment is not None else None
    except ValidationError as exc:
        context["problems"] = exc.messages
        return context
    context.update(
        quota_lines=lines,
        over_quota=previews.quota_refused(lines),
        team_name=draft.team.name,
        capacity=verdict if not isinstance(verdict, str) else None,
        capacity_unknown=verdict if isinstance(verdict, str) else "",
    )
    if environment is None:
        context["capacity_hint"] = "Choose an environment to see whether its cluster has room."
    return context


def _require_deployer(user: Any) -> None:
    if not teams_for(user, Role.DEPLOYER).exists():
        raise PermissionDenied(
            "Deploying needs the deployer role in a team; ask a team admin to grant it."
        )


def _initial(request: HttpRequest) -> dict[str, Any]:
    raw = request.GET.get("version")
    if not raw:
        return {}
    if not raw.isdigit():
        raise Http404("No such model version.")
    version = get_object_or_404(
        ModelVersion.objects.visible_to(request.user).select_related("model__team"), pk=raw
    )
    require_role(request.user, version.model.team, Role.DEPLOYER, doing="deploy its versions")
    return {"model_version": version.pk}


def _existing(request: HttpRequest) -> Deployment | None:
    raw = request.GET.get("deployment")
    if raw is None:
        return None
    if not raw.isdigit():
        raise Http404("No such deployment.")
    deployment = get_object_or_404(
        Deployment.objects.visible_to(request.user).select_related(
            "team", "environment__cluster", "model_version__model", "canary_version"
        ),
        pk=raw,
    )
    require_role(request.user, deployment.team, Role.DEPLOYER, doing="change deployments")
    return deployment


def _create(request: HttpRequest, form: DeployForm) -> Deployment | None:
    version = form.cleaned_data["model_version"]
    try:
        return services.create_deployment(
            actor=request.user,
            team=version.model.team,
            environment=form.cleaned_data["environment"],
            name=form.cleaned_data["name"],
            model_version=version,
            **form.spec(),
        )
    except ValidationError as exc:
        form.show_service_errors(exc)
        return None
