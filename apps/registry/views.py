"""Browser pages of the registry: the models list, a model's page, and the forms
that register a model or a version.

Each view is a scoped fetch (`visible_to`, so another team's model is a 404), one
service or query call, and a render or redirect. The services check the role
again on every write, so a hidden button is a courtesy, never the protection.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from apps.accounts.access import require_role, teams_for
from apps.accounts.choices import Role
from apps.accounts.models import Team
from apps.registry import queries, services
from apps.registry.choices import Framework, Task
from apps.registry.filters import ModelFilter
from apps.registry.forms import RegisterModelForm, RegisterVersionForm, preset_fields
from apps.registry.models import Model

PAGE_SIZE = 25


def _may_change(user: Any, team: Team) -> bool:
    """Whether `user` may register in `team`: the services' own rule, asked ahead."""
    try:
        require_role(user, team, Role.DEPLOYER, doing="register models")
    except PermissionDenied:
        return False
    return True


def _models_crumb() -> dict[str, str]:
    return {"label": "Models", "url": reverse("registry:models")}


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    """The user's teams' models, filtered by the API's FilterSet, 25 to a page."""
    visible = Model.objects.visible_to(request.user).filter(archived_at__isnull=True)
    filters = ModelFilter(request.GET, queryset=visible)
    models = queries.with_summary(filters.qs if filters.is_valid() else visible.none())
    context = {
        "page": Paginator(models, PAGE_SIZE).get_page(request.GET.get("page")),
        "filter_errors": [f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items()],
        "filtered": any(request.GET.get(name) for name in ModelFilter.base_filters),
        "teams": teams_for(request.user),
        "tasks": Task.choices,
        "frameworks": Framework.choices,
        "can_register": teams_for(request.user, Role.DEPLOYER).exists(),
    }
    return render(request, "registry/models.html", context)


@login_required
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A model, its versions, and the deployments running each (lineage)."""
    model = get_object_or_404(Model.objects.visible_to(request.user).select_related("team"), pk=pk)
    context = {
        "model": model,
        "versions": queries.versions_with_lineage(model),
        "can_change": _may_change(request.user, model.team),
        "breadcrumbs": [_models_crumb(), {"label": model.name, "url": ""}],
    }
    return render(request, "registry/model.html", context)


@login_required
def model_create(request: HttpRequest) -> HttpResponse:
    teams = teams_for(request.user, Role.DEPLOYER)
    if not teams.exists():
        raise PermissionDenied("Registering a model needs the deployer role in a team.")
    form = RegisterModelForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            model = services.create_model(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Registered model {model.name} in team {model.team.name}.")
            return redirect("registry:model", pk=model.pk)
    context = {
        "form": form,
        "breadcrumbs": [_models_crumb(), {"label": "Register a model", "url": ""}],
    }
    return render(request, "registry/model_form.html", context)


@login_required
def version_create(request: HttpRequest, pk: int) -> HttpResponse:
    model = get_object_or_404(Model.objects.visible_to(request.user).select_related("team"), pk=pk)
    require_role(request.user, model.team, Role.DEPLOYER, doing="register model versions")
    form = RegisterVersionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.create_model_version(
                actor=request.user, model=model, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Registered version {version.version} of {model.name}.")
            return redirect("registry:model", pk=model.pk)
    context = {
        "form": form,
        "model": model,
        "presets": preset_fields(),
        "breadcrumbs": [
            _models_crumb(),
            {"label": model.name, "url": reverse("registry:model", args=[model.pk])},
            {"label": "Register a version", "url": ""},
        ],
    }
    return render(request, "registry/version_form.html", context)
