"""Who may change what; who may see what is `TeamScopedQuerySet.visible_to()`.

Every listed record's manager has `visible_to(user)` (apps/accounts/models.py), so
isolation between teams is decided in one place. Services call `require_role()`
before a change; the acting user may see the record but lack the role, which
answers 403 (that confirms nothing they could not already read).
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from apps.accounts.choices import ROLE_RANK, Role
from apps.accounts.models import Membership, Team, is_active_user


def teams_for(user: Any, role: str = Role.VIEWER) -> QuerySet[Team]:
    """The teams in which `user` holds `role` or a stronger one."""
    return Team.objects.visible_to(user, role)


def role_in(user: Any, team: Team) -> str | None:
    """The user's role in `team` (admin for superusers), or None for a non-member."""
    if not is_active_user(user):
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
