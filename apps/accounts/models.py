"""Teams and who belongs to them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from apps.accounts.choices import ROLE_RANK, Role
from apps.core.models import TimeStampedModel
from apps.core.validators import validate_dns_label

# A team's name becomes part of Kubernetes namespace names (`<environment>-<team>`).
TEAM_NAME_MAX = 30


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

    def allows(self, role: str) -> bool:
        """True when this membership's role is `role` or a stronger one."""
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


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

    class Meta:
        ordering = ["user__username", "-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
