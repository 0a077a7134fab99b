"""Browser pages of deployments (a deployment's own page, with its charts, is
apps.monitoring's `monitoring:deployment`)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.access import scope
from apps.deployments.models import Deployment


@login_required
def deployment_list(request: HttpRequest) -> HttpResponse:
    deployments = scope(
        Deployment.objects.select_related("team", "environment", "model_version__model"),
        request.user,
    ).order_by("team__name", "environment__name", "name")
    return render(request, "deployments/list.html", {"deployments": deployments})
