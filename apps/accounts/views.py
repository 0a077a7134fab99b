"""Browser pages of teams (members and roles) and of the user's own API tokens.

Each view is a scoped fetch, one service call, and a render or redirect. The
team page's quota and audit sections belong to apps.quotas and apps.deployments
(later apps in the import order) and are loaded into it by htmx; each is also a
page of its own, linked from here, so the team page works without JavaScript.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from apps.accounts import services
from apps.accounts.access import role_in, teams_for
from apps.accounts.choices import Role
from apps.accounts.models import ApiToken, Membership, Team

# A team admin's view of members' tokens: live ones, and those revoked this past week.
RECENT = timedelta(days=7)
MEMBER_TOKENS_SHOWN = 500


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as {field: [messages]}; 'form' holds those of no field
    (templates may not read Django's '__all__')."""
    if hasattr(exc, "error_dict"):
        return {
            "form" if name == NON_FIELD_ERRORS else name: [m for e in errs for m in e.messages]
            for name, errs in exc.error_dict.items()
        }
    return {"form": exc.messages}


def _team_crumbs(team: Team | None = None) -> list[dict[str, str]]:
    crumbs = [{"label": "Teams", "url": reverse("accounts:teams")}]
    if team is not None:
        crumbs.append({"label": str(team), "url": reverse("accounts:team", args=[team.pk])})
    return crumbs


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    """The user's teams and their role in each; one team goes straight to its page."""
    teams = list(teams_for(request.user).order_by("name"))
    memberships = dict(Membership.objects.filter(user=request.user).values_list("team_id", "role"))
    rows = [(team, Role(memberships.get(team.pk, Role.ADMIN)).label) for team in teams]
    return render(request, "accounts/teams.html", {"rows": rows, "breadcrumbs": _team_crumbs()})


def _team_context(request: HttpRequest, team: Team, **extra: Any) -> dict[str, Any]:
    role = role_in(request.user, team)
    members = Membership.objects.filter(team=team).select_related("user").order_by("user__username")
    return {
        "team": team,
        "role": role,
        "is_admin": role == Role.ADMIN,
        "members": members,
        "roles": Role.choices,
        "breadcrumbs": _team_crumbs(team),
        **extra,
    }


@login_required
def team_page(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(teams_for(request.user), pk=pk)
    return render(request, "accounts/team.html", _team_context(request, team))


@login_required
def add_member(request: HttpRequest, pk: int) -> HttpResponse:
    # Scoped before the method is checked: an outsider learns nothing, not even a 405.
    team = get_object_or_404(teams_for(request.user), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    username = request.POST.get("username", "").strip()
    try:
        services.add_member(
            actor=request.user, team=team, username=username, role=request.POST.get("role", "")
        )
    except ValidationError as exc:
        context = _team_context(request, team, add_errors=field_errors(exc), add_username=username)
        return render(request, "accounts/team.html", context, status=400)
    messages.success(request, f"Added {username} to team '{team}'.")
    return redirect("accounts:team", pk=team.pk)


@login_required
def change_role(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    membership = _membership(request, pk, member)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.change_role(
            actor=request.user, membership=membership, role=request.POST.get("role", "")
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, f"{membership.user.get_username()}'s role is changed.")
    return redirect("accounts:team", pk=pk)


@require_http_methods(["GET", "POST"])
@login_required
def remove_member(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    """GET asks first; POST removes."""
    membership = _membership(request, pk, member)
    # Asking first only makes sense to whoever may then remove (403 otherwise).
    services.require_member_admin(request.user, membership.team)
    if request.method == "GET":
        context = {"membership": membership, "breadcrumbs": _team_crumbs(membership.team)}
        return render(request, "accounts/remove_member.html", context)
    try:
        services.remove_member(actor=request.user, membership=membership)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, f"Removed {membership.user.get_username()} from the team.")
    return redirect("accounts:team", pk=pk)


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    # The team page is redirected to, so a refusal travels as messages, not form errors.
    for errors in field_errors(exc).values():
        for error in errors:
            messages.error(request, error)


def _membership(request: HttpRequest, pk: int, member: int) -> Membership:
    team = get_object_or_404(teams_for(request.user), pk=pk)
    return get_object_or_404(
        Membership.objects.select_related("user", "team"), pk=member, team=team
    )


# --- API tokens ----------------------------------------------------------------------


def _tokens_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "tokens": ApiToken.objects.visible_to(request.user).order_by("-created_at"),
        # Members' tokens, for a team admin; a long-gone revoked token is not news.
        "member_tokens": ApiToken.objects.managed_by(request.user)
        .exclude(user=request.user)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gte=timezone.now() - RECENT))
        .select_related("user")
        .order_by("user__username", "-created_at")[:MEMBER_TOKENS_SHOWN],
        "default_days": settings.GANTRY_API_TOKEN_DAYS,
        "max_days": settings.GANTRY_API_TOKEN_MAX_DAYS,
        "breadcrumbs": [{"label": "API tokens", "url": reverse("accounts:tokens")}],
        **extra,
    }


@require_http_methods(["GET", "POST"])
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's tokens; POST creates one and shows its secret on this answer only."""
    if request.method == "GET":
        return render(request, "accounts/tokens.html", _tokens_context(request))
    name = request.POST.get("name", "").strip()
    raw_days = request.POST.get("expires_in_days", "").strip()
    try:
        days = _days(raw_days)
        issued = services.create_token(
            actor=request.user, user=request.user, name=name, expires_in_days=days
        )
    except ValidationError as exc:
        context = _tokens_context(
            request, errors=field_errors(exc), form={"name": name, "days": raw_days}
        )
        return render(request, "accounts/tokens.html", context, status=400)
    response = render(request, "accounts/tokens.html", _tokens_context(request, issued=issued))
    response["Cache-Control"] = "no-store"  # the secret must not stay in any cache
    return response


def _days(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        example = settings.GANTRY_API_TOKEN_DAYS
        raise ValidationError(
            {"expires_in_days": f"Give the lifetime in whole days, e.g. {example}."}
        )
    return int(raw)


@require_http_methods(["GET", "POST"])
@login_required
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks first; POST revokes."""
    token = get_object_or_404(ApiToken.objects.revocable_by(request.user), pk=pk)
    if request.method == "GET":
        return render(request, "accounts/revoke_token.html", _tokens_context(request, token=token))
    services.revoke_token(token, actor=request.user)
    owner = "" if token.user_id == request.user.pk else f" of {token.user.get_username()}"
    messages.success(request, f"Revoked token '{token.name}'{owner} ({token.prefix}…).")
    return redirect("accounts:tokens")
