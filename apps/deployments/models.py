"""Deployments: what should run (spec), what does run (status), and their history."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

from apps.accounts.models import Team, TeamScopedQuerySet
from apps.clusters.models import Environment
from apps.core.models import TimeStampedModel
from apps.core.validators import (
    validate_dns_label,
    validate_gpu_model,
    validate_mig_profile,
    validate_positive_quantity,
)
from apps.deployments.choices import AutoscalingMetric, EventSource, State
from apps.registry.models import ModelVersion

# The fields a user sets; a change to any of them is a new Revision and generation.
SPEC_FIELDS = (
    "model_version",
    "replicas",
    "min_replicas",
    "max_replicas",
    "autoscaling_metric",
    "autoscaling_metric_name",
    "autoscaling_target",
    "cpu",
    "memory",
    "gpu_count",
    "gpu_model",
    "mig_profile",
    "canary_version",
    "canary_weight",
    "auto_rollback",
    "state",
)


class DeploymentQuerySet(TeamScopedQuerySet):
    team_path = "team"


class Deployment(TimeStampedModel):
    """A model version serving in an environment, and what the cluster says of it.

    The spec fields say what should run; `generation` counts spec changes and
    `observed_generation` the last one applied to the cluster. Conditions,
    replica counts and `last_error` are written back by the reconciler only.
    Changes go through `apps.deployments.services`, never straight to the row.
    """

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="deployments")
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="deployments"
    )
    name = models.CharField(max_length=63, validators=[validate_dns_label])
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="deployments"
    )

    replicas = models.PositiveIntegerField(
        default=1, help_text="Fixed replica count, used when not autoscaling."
    )
    min_replicas = models.PositiveIntegerField(null=True, blank=True)
    max_replicas = models.PositiveIntegerField(null=True, blank=True)
    autoscaling_metric = models.CharField(
        max_length=16, choices=AutoscalingMetric.choices, default=AutoscalingMetric.CPU
    )
    autoscaling_metric_name = models.CharField(
        max_length=200, blank=True, help_text="Pods metric for custom autoscaling."
    )
    autoscaling_target = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="CPU utilization percent, or the custom metric's average value per pod.",
    )

    cpu = models.CharField(max_length=32, default="1", validators=[validate_positive_quantity])
    memory = models.CharField(max_length=32, default="4Gi", validators=[validate_positive_quantity])
    gpu_count = models.PositiveIntegerField(
        default=0, help_text="Whole GPUs, or MIG slices when a MIG profile is set."
    )
    gpu_model = models.CharField(max_length=100, blank=True, validators=[validate_gpu_model])
    mig_profile = models.CharField(max_length=32, blank=True, validators=[validate_mig_profile])

    canary_version = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="canary_deployments",
    )
    canary_weight = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="Percent of traffic (and replicas) on the canary version.",
    )
    auto_rollback = models.BooleanField(
        default=True, help_text="Re-apply the last good revision when a rollout fails."
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)

    generation = models.PositiveBigIntegerField(default=1)
    observed_generation = models.PositiveBigIntegerField(default=0)
    conditions = models.JSONField(default=list, blank=True)
    ready_replicas = models.PositiveIntegerField(default=0)
    updated_replicas = models.PositiveIntegerField(default=0)
    available_replicas = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Also status, written by the reconciler: where auto-rollback returns to, what it may
    # have created (so a crash between apply and cleanup leaves nothing unknown), and a
    # fingerprint of the cluster's status, so resync spots changes without a write.
    last_available_revision = models.PositiveIntegerField(
        null=True, blank=True, help_text="The latest revision that became Available."
    )
    applied_objects = models.JSONField(default=list, blank=True)
    status_digest = models.CharField(max_length=64, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ["environment__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "name"], name="deployment_unique_environment_name"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=State.values), name="deployment_state_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(min_replicas__isnull=True, max_replicas__isnull=True)
                    | models.Q(
                        min_replicas__isnull=False,
                        max_replicas__isnull=False,
                        min_replicas__gte=1,
                        min_replicas__lte=models.F("max_replicas"),
                    )
                ),
                name="deployment_autoscaling_bounds",
            ),
            models.CheckConstraint(
                condition=models.Q(canary_weight__lte=100), name="deployment_canary_weight_range"
            ),
            models.CheckConstraint(
                condition=models.Q(canary_weight=0) | models.Q(canary_version__isnull=False),
                name="deployment_canary_weight_needs_version",
            ),
            models.CheckConstraint(
                condition=models.Q(gpu_model="") | models.Q(mig_profile=""),
                name="deployment_gpu_model_or_mig",
            ),
            models.CheckConstraint(
                condition=models.Q(observed_generation__lte=models.F("generation")),
                name="deployment_observed_not_ahead",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "state"], name="deployment_team_state"),
            models.Index(fields=["state", "observed_generation"], name="deployment_resync"),
        ]

    def __str__(self) -> str:
        return f"{self.environment.name}/{self.name}"

    @property
    def is_autoscaled(self) -> bool:
        return (
            self.min_replicas is not None
            and self.max_replicas is not None
            and self.min_replicas < self.max_replicas
        )

    @property
    def max_replica_count(self) -> int:
        """The most pods the stable version may run: the worst case quotas count."""
        if self.min_replicas is not None and self.max_replicas is not None:
            return self.max_replicas
        return self.replicas

    @property
    def namespace(self) -> str:
        return self.environment.namespace_for(self.team.name)

    @property
    def audit_target(self) -> str:
        """How the audit trail names this deployment, e.g. 'deployment/production/chat'."""
        return f"deployment/{self.environment.name}/{self.name}"

    def condition(self, type_: str) -> dict[str, Any] | None:
        return next((c for c in self.conditions if c.get("type") == type_), None)

    def spec(self) -> dict[str, Any]:
        """The user-set fields as JSON-ready data: what a Revision snapshots."""
        data: dict[str, Any] = {}
        for field in SPEC_FIELDS:
            if field in ("model_version", "canary_version"):
                data[field] = getattr(self, f"{field}_id")
            else:
                data[field] = getattr(self, field)
        return data

    def clean(self) -> None:
        errors: dict[str, str] = {}
        errors.update(self._scaling_errors())
        errors.update(self._gpu_errors())
        errors.update(self._version_errors())
        # Checked on create only: a team that loses access to an environment must
        # still be able to stop, scale down and delete what it already runs there.
        if (
            self._state.adding
            and self.environment_id
            and self.team_id
            and not self.environment.teams.filter(pk=self.team_id).exists()
        ):
            errors["environment"] = (
                f"Team '{self.team.name}' may not deploy to environment "
                f"'{self.environment.name}'; ask a platform admin to allow it."
            )
        if errors:
            raise ValidationError(errors)

    def _scaling_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        has_min, has_max = self.min_replicas is not None, self.max_replicas is not None
        if has_min != has_max:
            errors["max_replicas"] = (
                "Autoscaling needs both min_replicas and max_replicas, e.g. 1 and 4."
            )
        elif has_min and has_max:
            if self.min_replicas < 1:
                errors["min_replicas"] = "min_replicas must be at least 1, e.g. 1."
            elif self.min_replicas > self.max_replicas:
                errors["min_replicas"] = (
                    f"min_replicas ({self.min_replicas}) is more than max_replicas "
                    f"({self.max_replicas}); e.g. min 1, max 4."
                )
        if self.is_autoscaled:
            if not self.autoscaling_target:
                errors["autoscaling_target"] = (
                    "Autoscaling needs a target, e.g. 70 (percent CPU utilization)."
                )
            if self.autoscaling_metric == AutoscalingMetric.CUSTOM and not (
                self.autoscaling_metric_name
            ):
                errors["autoscaling_metric_name"] = (
                    "A custom autoscaling metric needs its name, e.g. 'vllm:num_requests_waiting'."
                )
        return errors

    def _gpu_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if self.gpu_model and self.mig_profile:
            errors["mig_profile"] = (
                "Choose a GPU model or a MIG profile, not both: a MIG slice is part of a GPU."
            )
        if (self.gpu_model or self.mig_profile) and self.gpu_count == 0:
            errors["gpu_count"] = "Choosing a GPU model or MIG profile needs a gpu_count, e.g. 1."
        return errors

    def _version_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if self.canary_weight and not self.canary_version_id:
            errors["canary_weight"] = "A canary weight needs a canary version."
        if not (self.model_version_id and self.team_id):
            return errors
        if self.model_version.model.team_id != self.team_id:
            errors["model_version"] = "That model version belongs to another team."
        if self.canary_version_id:
            if self.canary_version.model_id != self.model_version.model_id:
                errors["canary_version"] = "A canary must be another version of the same model."
            elif self.canary_version_id == self.model_version_id:
                errors["canary_version"] = (
                    "The canary is the version already serving; choose another version."
                )
        return errors


class RevisionQuerySet(TeamScopedQuerySet):
    team_path = "deployment__team"


class Revision(models.Model):
    """An immutable snapshot of a deployment's spec after one change."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["deployment", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "number"], name="revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.deployment} #{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError("Revisions are immutable; record a new one instead.")
        super().save(*args, **kwargs)


class EventQuerySet(TeamScopedQuerySet):
    team_path = "team"


class Event(models.Model):
    """One line of the audit trail: who did what to which object, or what the cluster said."""

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    deployment = models.ForeignKey(
        Deployment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so the trail still names who acted after the user is deleted.
    actor_name = models.CharField(max_length=150, default="gantry")
    source = models.CharField(
        max_length=16, choices=EventSource.choices, default=EventSource.GANTRY
    )
    verb = models.CharField(max_length=50)
    target = models.CharField(max_length=300)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["team", "-created_at"], name="event_team_time"),
            models.Index(fields=["deployment", "-created_at"], name="event_deployment_time"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.verb} {self.target}"
