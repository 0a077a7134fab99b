"""The only writers of memberships and API tokens; UI, API, admin and commands call these."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.access import require_role
from apps.accounts.choices import Role
from apps.accounts.models import ApiToken, Membership, Team
from apps.core import audit

# The visible part of every token, so a leaked one is easy to recognise in
# secret scanners and logs ("gnt_" is Gantry's, like GitHub's "ghp_").
TOKEN_MARK = "gnt_"  # nosec B105 # a public marker, not a secret
TOKEN_PREFIX_LENGTH = len(TOKEN_MARK) + 8
# Touching last_used_at on every request would add a write per API call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the record, and the plain secret to show exactly once."""

    token: ApiToken
    plain: str


class TokenRejected(Exception):
    """A presented token cannot be used; the message says why and never repeats it."""


def token_digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_token(
    *, actor: Any, user: Any, name: str, expires_in_days: int | None = None
) -> IssuedToken:
    """Issue a personal token for `user`; only a digest is stored.

    `actor` is who asks (the user themselves, a superuser in the admin, or None
    for `manage.py create_token`); nobody else may issue a token in a user's name.
    """
    if actor is not None and actor.pk != user.pk and not actor.is_superuser:
        raise ValidationError({"user": "You may only create tokens for yourself."})
    days = settings.GANTRY_API_TOKEN_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= settings.GANTRY_API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {
                "expires_in_days": f"A token lives from 1 to {settings.GANTRY_API_TOKEN_MAX_DAYS} "
                f"days; {days} is outside that, e.g. {settings.GANTRY_API_TOKEN_DAYS}."
            }
        )
    if not user.is_active:
        raise ValidationError({"user": f"User '{user.get_username()}' is inactive."})
    plain = TOKEN_MARK + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        prefix=plain[:TOKEN_PREFIX_LENGTH],
        digest=token_digest(plain),
        expires_at=timezone.now() + timedelta(days=days),
    )
    token.full_clean()
    with transaction.atomic():
        token.save()
        audit.record(
            actor=actor,
            verb="create",
            target=f"token/{token.prefix}",
            message=f"Issued token '{name}' for {user.get_username()}, "
            f"expiring {token.expires_at:%Y-%m-%d}.",
        )
    return IssuedToken(token=token, plain=plain)


def revoke_token(token: ApiToken, *, actor: Any) -> ApiToken:
    """Revoke a token at once; revoking it twice is harmless."""
    if actor is not None and not ApiToken.objects.revocable_by(actor).filter(pk=token.pk).exists():
        refusal = "You may only revoke your own tokens, or those of your teams' members."
        raise ValidationError({"token": refusal})
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit.record(
                actor=actor,
                verb="revoke",
                target=f"token/{token.prefix}",
                message=f"Revoked token '{token.name}' of {token.user.get_username()}.",
                team=_administered_team_of(actor, token.user_id),
            )
    token.refresh_from_db()
    return token


def _administered_team_of(actor: Any, user_id: int) -> Team | None:
    """A team `actor` administers with `user_id` in it: where a revocation is audited."""
    if actor is None or actor.pk == user_id:
        return None
    shared = Membership.objects.filter(user_id=user_id).values("team_id")
    return Team.objects.filter(
        pk__in=shared, memberships__user=actor, memberships__role=Role.ADMIN
    ).first()


def authenticate_token(plain: str, *, now: datetime | None = None) -> ApiToken:
    """The live token whose secret is `plain`, with its user; else TokenRejected."""
    now = now or timezone.now()
    token = (
        ApiToken.objects.select_related("user").filter(digest=token_digest(plain)).first()
        if plain.startswith(TOKEN_MARK)
        else None
    )
    if token is None:
        raise TokenRejected(
            "The API token is not valid. Send 'Authorization: Bearer <token>' with a token "
            "from `manage.py create_token` or the admin."
        )
    if token.revoked_at is not None:
        raise TokenRejected(f"API token {token.prefix}… was revoked; create a new one.")
    if token.expires_at <= now:
        raise TokenRejected(
            f"API token {token.prefix}… expired at {token.expires_at:%Y-%m-%d %H:%M} UTC; "
            "create a new one."
        )
    if not token.user.is_active:
        raise TokenRejected(f"The owner of API token {token.prefix}… is inactive.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def require_member_admin(actor: Any, team: Team) -> None:
    """Refuse unless `actor` may add, re-role and remove `team`'s members (its admins);
    the pages ask it too, before showing a form that would only be refused."""
    require_role(actor, team, Role.ADMIN, doing="manage the team's members")


def add_member(*, actor: Any, team: Team, username: str, role: str) -> Membership:
    """Add a user to `team`; only the team's admins (and superusers) may."""
    require_member_admin(actor, team)
    _check_role(role)
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({"username": f"There is no active user named '{username}'."})
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, team=team, defaults={"role": role}
        )
        if not created:
            raise ValidationError(
                {"username": f"'{username}' is already a {membership.role} of team '{team.name}'."}
            )
        audit.record(
            actor=actor,
            verb="add_member",
            target=f"team/{team.name}",
            message=f"Added {username} as {role}.",
            team=team,
        )
    return membership


def change_role(*, actor: Any, membership: Membership, role: str) -> Membership:
    require_member_admin(actor, membership.team)
    _check_role(role)
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update()
            .select_related("team", "user")
            .get(pk=membership.pk)
        )
        if locked.role == Role.ADMIN and role != Role.ADMIN:
            _keep_an_admin(locked)
        locked.role = role
        locked.save(update_fields=["role", "updated_at"])
        audit.record(
            actor=actor,
            verb="change_role",
            target=f"team/{locked.team.name}",
            message=f"{locked.user.get_username()} is now {role}.",
            team=locked.team,
        )
    return locked


def remove_member(*, actor: Any, membership: Membership) -> None:
    require_member_admin(actor, membership.team)
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update()
            .select_related("team", "user")
            .get(pk=membership.pk)
        )
        if locked.role == Role.ADMIN:
            _keep_an_admin(locked)
        locked.delete()
        audit.record(
            actor=actor,
            verb="remove_member",
            target=f"team/{locked.team.name}",
            message=f"Removed {locked.user.get_username()}.",
            team=locked.team,
        )


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError(
            {"role": f"'{role}' is not a role; use one of {', '.join(Role.values)}."}
        )


def _keep_an_admin(leaving: Membership) -> None:
    # Locking the team's admin rows makes two admins demoting each other at once safe.
    admins = list(
        Membership.objects.select_for_update()
        .filter(team_id=leaving.team_id, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )
    if admins == [leaving.pk]:
        raise ValidationError(
            {"role": f"Team '{leaving.team.name}' needs at least one admin; add another first."}
        )
