"""A team's audit log for the team page (apps.accounts' team page loads it with htmx).

The trail is `Event` rows, filtered by the API's EventFilter (actor, verb) and paged
by keyset, newest first, like the API's /api/v1/events/.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from rest_framework import serializers

from apps.accounts.access import teams_for
from apps.core.htmx import render_page
from apps.core.pagination import html_page
from apps.deployments.filters import EventFilter
from apps.deployments.models import Event

PAGE_SIZE = 25


@login_required
def team_audit(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(teams_for(request.user), pk=pk)
    events = Event.objects.visible_to(request.user).filter(team=team)
    filters = EventFilter(request.GET, queryset=events)
    context = {
        "team": team,
        "query": request.GET,
        "verbs": list(events.order_by("verb").values_list("verb", flat=True).distinct()[:50]),
        "breadcrumbs": [
            {"label": "Teams", "url": reverse("accounts:teams")},
            {"label": str(team), "url": reverse("accounts:team", args=[team.pk])},
            {"label": "Audit log", "url": ""},
        ],
    }
    errors = [f"{name}: {' '.join(errs)}" for name, errs in filters.errors.items()]
    if not errors:
        try:
            context["page"] = html_page(request, filters.qs, ("-created_at", "-id"), PAGE_SIZE)
        except serializers.ValidationError as exc:
            errors = [f"{name}: {' '.join(errs)}" for name, errs in exc.detail.items()]
    context["errors"] = errors
    return render_page(
        request,
        "deployments/team_audit.html",
        "deployments/_team_audit.html",
        context,
        status=400 if errors else 200,
    )
