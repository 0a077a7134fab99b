"""Who may see and change what: the one place that scopes records to a user's teams.

UI views, API viewsets, serializers' choices and the admin all build their
querysets with `scope()`, so isolation between teams is decided here and
nowhere else. A record of a team the user does not belong to is simply absent
from the queryset, so it answers 404 and never appears in a list. Services call
`require_role()` before a change; the acting user may see the record but lack
the role, which answers 403 (that confirms nothing they could not already read).

Superusers are the platform's admins and see every team; staff without
superuser status are scoped like everyone else.
"""

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from apps.accounts.choices import ROLE_RANK, Role
from apps.accounts.models import Membership, Team

M = TypeVar("M", bound=Model)


def _roles_at_least(role: str) -> list[str]:
    floor = ROLE_RANK[Role(role)]
    return [r.value for r, rank in ROLE_RANK.items() if rank >= floor]


def _is_active_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def teams_for(user: Any, role: str = Role.VIEWER) -> QuerySet[Team]:
    """The teams in which `user` holds `role` or a stronger one."""
    if not _is_active_user(user):
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user, memberships__role__in=_roles_at_least(role))


def scope(
    queryset: QuerySet[M], user: Any, *, via: str = "team", role: str = Role.VIEWER
) -> QuerySet[M]:
    """`queryset` narrowed to records whose team (reached through `via`) `user` belongs to.

    `via` is the lookup path from the record to its team, e.g. "team" for a
    deployment, "model__team" for a model version, "teams" for an environment
    (many teams may use one environment, hence the distinct()).
    """
    if not _is_active_user(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    # Membership rows name the team ids directly: a simpler subquery than through Team.
    team_ids = Membership.objects.filter(user=user, role__in=_roles_at_least(role))
    scoped = queryset.filter(**{f"{via}__in": team_ids.values("team_id")})
    first = queryset.model._meta.get_field(via.split("__")[0])
    return scoped.distinct() if first.many_to_many else scoped


def role_in(user: Any, team: Team) -> str | None:
    """The user's role in `team` (admin for superusers), or None for a non-member."""
    if not _is_active_user(user):
        return None
    if user.is_superuser:
        return Role.ADMIN
    return Membership.objects.filter(user=user, team=team).values_list("role", flat=True).first()


def require_role(actor: Any, team: Team, role: str, *, doing: str) -> None:
    """Refuse (PermissionDenied) unless `actor` holds `role` in `team`.

    `actor=None` is Gantry itself (the reconciler, management commands) and is
    always allowed; an anonymous user is not None and is refused. `doing` names
    the action in the message, e.g. "change deployments".
    """
    if actor is None:
        return
    held = role_in(actor, team)
    if held is not None and ROLE_RANK[Role(held)] >= ROLE_RANK[Role(role)]:
        return
    needed = Role(role).label.lower()
    if held is None:
        raise PermissionDenied(f"Only members of team '{team.name}' may {doing}.")
    raise PermissionDenied(
        f"You are a {Role(held).label.lower()} of team '{team.name}'; to {doing} you need "
        f"the {needed} role. Ask a team admin to grant it."
    )
