"""Teams and who belongs to them, and the one way records are scoped to a user's teams."""

from typing import Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from apps.accounts.choices import Role, roles_at_least
from apps.core.models import TimeStampedModel
from apps.core.validators import validate_dns_label

# A team's name becomes part of Kubernetes namespace names (`<environment>-<team>`).
TEAM_NAME_MAX = 30


def is_active_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


class TeamScopedQuerySet(models.QuerySet):
    """Records that belong to a team, narrowed to what a user may see: the one scoping point.

    Every page, API view, serializer choice and admin page fetches through
    `visible_to()`, so isolation between teams is decided here and nowhere else. A
    record of a team the user is not in is simply absent, so it answers 404 and never
    appears in a list (the AWX `accessible_objects` idea). Superusers are the
    platform's admins and see every team; other staff are scoped like everyone else.
    Subclasses name `team_path`, the lookup from the record to its team.
    """

    team_path = "team"

    def visible_to(self, user: Any, role: str = Role.VIEWER) -> Self:
        """The records of teams in which `user` holds `role` or a stronger one."""
        if not is_active_user(user):
            return self.none()
        if user.is_superuser:
            return self
        # Membership rows name the team ids directly: a simpler subquery than through Team.
        team_ids = Membership.objects.filter(user=user, role__in=roles_at_least(role))
        scoped = self.filter(**{f"{self.team_path}__in": team_ids.values("team_id")})
        # Many teams may share a record (an environment): one row each all the same.
        return scoped.distinct() if self._through_many_to_many() else scoped

    def _through_many_to_many(self) -> bool:
        first = self.team_path.split("__")[0]
        return first != "pk" and self.model._meta.get_field(first).many_to_many


class TeamQuerySet(TeamScopedQuerySet):
    team_path = "pk"


class MembershipQuerySet(TeamScopedQuerySet):
    team_path = "team"


class ApiTokenQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> Self:
        """A token is its holder's alone: nobody else, superusers included, lists it."""
        if not is_active_user(user):
            return self.none()
        return self.filter(user=user)

    def managed_by(self, user: Any) -> Self:
        """Tokens of the members of the teams `user` administers (their own included).

        A team admin must be able to stop a member's leaked token without waiting for
        a superuser; they still never see a secret, only names, prefixes and dates.
        """
        if not is_active_user(user):
            return self.none()
        administered = Membership.objects.filter(user=user, role=Role.ADMIN).values("team_id")
        members = Membership.objects.filter(team_id__in=administered).values("user_id")
        return self.filter(user_id__in=members)

    def revocable_by(self, user: Any) -> Self:
        """The tokens `user` may revoke: their own, and their administered teams' members'."""
        if not is_active_user(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        return (self.visible_to(user) | self.managed_by(user)).distinct()


class Team(TimeStampedModel):
    """A group of ML engineers that owns models, deployments and a quota."""

    name = models.CharField(
        max_length=TEAM_NAME_MAX,
        unique=True,
        validators=[validate_dns_label],
        help_text="Lowercase DNS label, e.g. 'nlp'; used in Kubernetes namespace names.",
    )
    display_name = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name or self.name

    def clean(self) -> None:
        if self.pk is None:
            return
        stored = Team.objects.filter(pk=self.pk).values_list("name", flat=True).first()
        # Its namespaces (`<prefix>-<team>`) are named after it, and checked to be
        # unique when the team was granted each environment.
        if stored not in (None, self.name) and self.environments.exists():
            raise ValidationError(
                {
                    "name": f"Team '{stored}' may deploy into environments whose namespaces are "
                    "named after it, so its name cannot change. Change its display name "
                    "instead, or remove it from its environments first."
                }
            )


class Membership(TimeStampedModel):
    """A user's role in one team."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} as {self.get_role_display()}"


class ApiToken(TimeStampedModel):
    """A personal API token: its holder's rights, until it expires or is revoked.

    Only a SHA-256 digest of the secret is stored; the plain token is shown once
    when it is created (see `apps.accounts.services.create_token`). `prefix`,
    the token's first characters, lets people tell their tokens apart without
    revealing them.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'ci-deploy'.")
    prefix = models.CharField(max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(help_text="The token stops working at this time.")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["user__username", "-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
