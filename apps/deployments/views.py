"""Browser pages of deployments: the list (a deployment's own page and its tabs are
in apps.deployments.pages)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.deployments.filters import DeploymentFilter
from apps.deployments.models import Deployment


@login_required
def deployment_list(request: HttpRequest) -> HttpResponse:
    """The user's deployments, filtered by the same FilterSet as the API's list."""
    visible = Deployment.objects.visible_to(request.user).select_related(
        "team", "environment", "model_version__model"
    )
    filters = DeploymentFilter(request.GET, queryset=visible)
    deployments = filters.qs if filters.is_valid() else visible.none()
    context = {
        "deployments": deployments.order_by("team__name", "environment__name", "name"),
        "filter_errors": [f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items()],
    }
    return render(request, "deployments/list.html", context)
