"""The team page's quota section (apps.accounts' team page loads it with htmx)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.accounts.access import teams_for
from apps.core.htmx import render_page
from apps.quotas.services import team_bars


@login_required
def team_quota(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(teams_for(request.user), pk=pk)
    context = {
        "team": team,
        "bars": team_bars(team),
        "breadcrumbs": [
            {"label": "Teams", "url": reverse("accounts:teams")},
            {"label": str(team), "url": reverse("accounts:team", args=[team.pk])},
            {"label": "Quota", "url": ""},
        ],
    }
    return render_page(request, "quotas/team_quota.html", "quotas/_team_quota.html", context)
