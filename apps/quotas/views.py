"""The team page's quota section (apps.accounts' team page loads it with htmx), and the
platform quota overview for superusers."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from apps.accounts.access import teams_for
from apps.core.htmx import render_page
from apps.quotas import overview
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


@login_required
def platform_overview(request: HttpRequest) -> HttpResponse:
    # Platform admins only; to anyone else the page does not exist.
    if not request.user.is_superuser:
        raise Http404
    sort = request.GET.get("sort", overview.FULLEST)
    context = {"sorts": overview.SORTS, "sort": sort}
    try:
        context["overview"] = overview.platform_overview(sort)
    except overview.SortError as exc:
        context.update(sort_error=str(exc), sort=overview.FULLEST)
        return render(request, "quotas/overview.html", context, status=400)
    return render(request, "quotas/overview.html", context)
