"""The model registry: models and their immutable versions."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.accounts.models import Team, TeamScopedQuerySet
from apps.core.models import TimeStampedModel
from apps.core.validators import (
    validate_artifact_uri,
    validate_dns_label,
    validate_http_path,
    validate_image_reference,
    validate_positive_quantity,
)
from apps.registry.choices import Framework, Runtime, Task
from apps.registry.runtimes import PRESETS


class ModelQuerySet(TeamScopedQuerySet):
    team_path = "team"


class Model(TimeStampedModel):
    """A model a team serves, e.g. 'llama-3-8b'; its weights live in versions."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="models")
    name = models.CharField(max_length=63, validators=[validate_dns_label])
    description = models.TextField(blank=True)
    framework = models.CharField(max_length=32, choices=Framework.choices, default=Framework.OTHER)
    task = models.CharField(max_length=32, choices=Task.choices, default=Task.OTHER)
    archived_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it was archived: hidden from lists, kept for the audit trail.",
    )

    objects = ModelQuerySet.as_manager()

    class Meta:
        ordering = ["team__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="model_unique_team_name"),
        ]

    def __str__(self) -> str:
        return f"{self.team.name}/{self.name}"


class ModelVersionQuerySet(TeamScopedQuerySet):
    team_path = "model__team"


class ModelVersion(TimeStampedModel):
    """One servable build of a model: weights, runtime, image and default resources.

    Immutable once a deployment uses it (only the description may change), so a
    Revision that names it always means the same thing; see
    `apps.registry.services.update_model_version`.
    """

    model = models.ForeignKey(Model, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(
        max_length=63,
        validators=[validate_dns_label],
        help_text="Lowercase label, e.g. 'v3' or '2024-06-01'.",
    )
    description = models.TextField(blank=True)
    artifact_uri = models.CharField(max_length=1000, validators=[validate_artifact_uri])
    runtime = models.CharField(max_length=16, choices=Runtime.choices, default=Runtime.VLLM)
    image = models.CharField(
        max_length=512,
        blank=True,
        validators=[validate_image_reference],
        help_text="Container image; empty uses the runtime preset's image.",
    )
    port = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text="Port the server listens on; empty uses the runtime preset's port.",
    )
    health_path = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_http_path],
        help_text="Readiness path; empty uses the runtime preset's path.",
    )
    default_cpu = models.CharField(
        max_length=32, default="1", validators=[validate_positive_quantity]
    )
    default_memory = models.CharField(
        max_length=32, default="4Gi", validators=[validate_positive_quantity]
    )
    default_gpu_count = models.PositiveIntegerField(default=0)
    artifact_size = models.CharField(
        max_length=32,
        blank=True,
        validators=[validate_positive_quantity],
        help_text="Room the downloaded artifact needs, e.g. '40Gi'; the pod asks for it.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["model", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["model", "version"], name="modelversion_unique"),
            models.CheckConstraint(
                condition=models.Q(runtime__in=Runtime.values), name="modelversion_runtime_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(port__isnull=True) | models.Q(port__gte=1, port__lte=65535),
                name="modelversion_port_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model}:{self.version}"

    def clean(self) -> None:
        if self.runtime == Runtime.CUSTOM and not self.image:
            raise ValidationError(
                {"image": "A custom runtime needs an image, e.g. 'ghcr.io/acme/ranker:1.4'."}
            )

    @property
    def effective_image(self) -> str:
        return self.image or PRESETS[self.runtime].image

    @property
    def effective_port(self) -> int:
        return self.port or PRESETS[self.runtime].port

    @property
    def effective_health_path(self) -> str:
        return self.health_path or PRESETS[self.runtime].health_path

    def is_in_use(self) -> bool:
        """True when any deployment runs this version, stably or as its canary."""
        return self.deployments.exists() or self.canary_deployments.exists()

    def used_by(self) -> list[str]:
        """The names of the deployments that run this version, stably or as their canary."""
        names = {*self.deployments.values_list("name", flat=True)}
        names.update(self.canary_deployments.values_list("name", flat=True))
        return sorted(names)
