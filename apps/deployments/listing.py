"""The deployments list page's data: one keyset page of the user's deployments, filtered
by the API's FilterSet and sorted, with what each row shows.

Pages use apps.core.pagination, as the API does: a page is one indexed query after
the last row seen, with no COUNT and no OFFSET, so the tenth thousand row costs what
the first does, and rows created meanwhile never shift the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework import serializers

from apps.accounts.access import teams_for
from apps.clusters.models import Environment
from apps.core.pagination import html_page
from apps.deployments import conditions
from apps.deployments.choices import State
from apps.deployments.filters import CONDITION_CHOICES, DeploymentFilter
from apps.deployments.models import Deployment
from apps.registry.models import Model

# ?ordering= values, as the API spells them, and the sort key each stands for.
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "-created_at": ("Newest first", ("-created_at",)),
    "created_at": ("Oldest first", ("created_at",)),
    "name": ("Name, A to Z", ("name",)),
    "-name": ("Name, Z to A", ("-name",)),
    "state": ("State", ("state", "name")),
}
DEFAULT_SORT = "-created_at"
PAGE_SIZE = 50


@dataclass
class Row:
    deployment: Deployment
    badge: conditions.Badge
    desired: str
    gpus: str


@dataclass
class ListPage:
    rows: list[Row] = field(default_factory=list)
    next_url: str = ""
    previous_url: str = ""
    errors: list[str] = field(default_factory=list)
    sort: str = DEFAULT_SORT
    filtered: bool = False

    @property
    def ids(self) -> str:
        return ",".join(str(row.deployment.pk) for row in self.rows)


def page_of(request: HttpRequest) -> ListPage:
    """The page of the signed-in user's deployments that the request's query names."""
    params = request.GET
    page = ListPage(sort=params.get("ordering") or DEFAULT_SORT)
    page.filtered = any(params.get(name) for name in DeploymentFilter.base_filters)
    if page.sort not in SORTS:
        page.errors.append(
            f"ordering: '{page.sort}' is not a sort order; use one of {', '.join(SORTS)}."
        )
        return page
    visible = Deployment.objects.visible_to(request.user).select_related(
        "team", "environment", "model_version__model"
    )
    filters = DeploymentFilter(params, queryset=visible)
    if not filters.is_valid():
        page.errors += [f"{name}: {' '.join(errs)}" for name, errs in filters.errors.items()]
        return page
    try:
        found = html_page(request, filters.qs, SORTS[page.sort][1], PAGE_SIZE)
    except serializers.ValidationError as exc:
        page.errors += [f"{name}: {' '.join(errs)}" for name, errs in exc.detail.items()]
        return page
    page.rows = [_row(d) for d in found.rows]
    page.next_url, page.previous_url = found.next_url, found.previous_url
    return page


def _row(d: Deployment) -> Row:
    if d.min_replicas is not None and d.max_replicas is not None and d.is_autoscaled:
        desired = f"{d.min_replicas}\N{EN DASH}{d.max_replicas}"
    else:
        desired = str(d.max_replica_count)
    gpus = ""
    if d.gpu_count:
        kind = d.mig_profile or d.gpu_model or "any GPU"
        gpus = f"{d.gpu_count} \N{MULTIPLICATION SIGN} {kind}"
    return Row(
        deployment=d, badge=conditions.badge(d.state, d.conditions), desired=desired, gpus=gpus
    )


def filter_choices(user: Any) -> dict[str, Any]:
    """What the filter form offers: only the user's teams, environments and models."""
    return {
        "teams": list(teams_for(user).values_list("pk", "name")),
        "environments": list(
            Environment.objects.visible_to(user).order_by("name").values_list("pk", "name")
        ),
        "models": list(
            Model.objects.visible_to(user)
            .order_by("name", "team__name")
            .values_list("pk", "name", "team__name")
        ),
        "states": State.choices,
        "conditions": CONDITION_CHOICES,
        "gpu_kinds": [*settings.GANTRY_GPU_MODELS, *settings.GANTRY_MIG_PROFILES],
        "sorts": [(value, label) for value, (label, _) in SORTS.items()],
    }
