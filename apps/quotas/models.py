"""Per-team limits that admission checks before any deployment change."""

from django.core.exceptions import ValidationError
from django.db import models

from apps.accounts.models import Team, TeamScopedQuerySet
from apps.core.models import TimeStampedModel
from apps.core.validators import (
    validate_gpu_model,
    validate_mig_profile,
    validate_quantity,
)


class QuotaQuerySet(TeamScopedQuerySet):
    team_path = "team"


class Quota(TimeStampedModel):
    """What a team may hold at most, summed over all its deployments.

    An empty limit means "no limit". GPU limits per GPU model and per MIG
    profile are `QuotaLimit` rows beside this one.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="quota")
    gpus_total = models.PositiveIntegerField(
        null=True, blank=True, help_text="Whole GPUs of any model; empty for no limit."
    )
    replicas = models.PositiveIntegerField(
        null=True, blank=True, help_text="Pods, counting autoscaling maximums and canaries."
    )
    cpu = models.CharField(
        max_length=32,
        blank=True,
        validators=[validate_quantity],
        help_text="CPU cores as a Kubernetes quantity, e.g. '64' or '500m'.",
    )
    memory = models.CharField(
        max_length=32,
        blank=True,
        validators=[validate_quantity],
        help_text="Memory as a Kubernetes quantity, e.g. '512Gi'.",
    )

    objects = QuotaQuerySet.as_manager()

    class Meta:
        ordering = ["team__name"]

    def __str__(self) -> str:
        return f"Quota of {self.team}"


class QuotaLimit(models.Model):
    """A limit on one GPU model (e.g. NVIDIA-H100-80GB-HBM3) or MIG profile (e.g. 1g.10gb)."""

    class Kind(models.TextChoices):
        GPU_MODEL = "gpu_model", "GPU model"
        MIG_PROFILE = "mig_profile", "MIG profile"

    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, related_name="limits")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.GPU_MODEL)
    resource = models.CharField(max_length=100, help_text="GPU model or MIG profile name.")
    limit = models.PositiveIntegerField(help_text="GPUs (or MIG slices) at most.")

    class Meta:
        ordering = ["kind", "resource"]
        constraints = [
            models.UniqueConstraint(
                fields=["quota", "kind", "resource"], name="quotalimit_unique_resource"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["gpu_model", "mig_profile"]),
                name="quotalimit_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        unit = "GPUs" if self.kind == self.Kind.GPU_MODEL else "slices"
        return f"{self.resource}: {self.limit} {unit}"

    def clean(self) -> None:
        validate = validate_gpu_model if self.kind == self.Kind.GPU_MODEL else validate_mig_profile
        try:
            validate(self.resource)
        except ValidationError as exc:
            raise ValidationError({"resource": exc.messages}) from None
