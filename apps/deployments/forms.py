"""The deploy form: it parses what a person typed; the rules stay in `services`.

Its choices are scoped to the user (versions of the teams where they deploy,
environments that team may use) and to the chosen environment's cluster (the
GPU models and MIG profiles its nodes offer). Whatever the service refuses is
shown beside the field it names.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse

from apps.accounts.access import teams_for
from apps.accounts.choices import Role
from apps.clusters.models import Environment
from apps.deployments.choices import AutoscalingMetric
from apps.deployments.models import Deployment
from apps.deployments.previews import GpuOffer
from apps.registry.models import ModelVersion

FIXED, AUTOSCALE = "fixed", "autoscale"
NO_GPU, WHOLE_GPU, MIG = "none", "gpu", "mig"


def deployable_versions(user: Any) -> QuerySet[ModelVersion]:
    """Versions of the teams in which `user` may deploy."""
    return (
        ModelVersion.objects.visible_to(user, Role.DEPLOYER)
        .select_related("model__team")
        .order_by("model__team__name", "model__name", "-created_at")
    )


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ModelVersion) -> str:
        return f"{obj.model.team.name} / {obj.model.name}:{obj.version}"


class DeployForm(forms.Form):
    """A new deployment's spec. `preview=True` parses a draft: nothing is required."""

    model_version = VersionChoiceField(
        queryset=ModelVersion.objects.none(), empty_label="Choose a model version"
    )
    environment = forms.ModelChoiceField(
        queryset=Environment.objects.none(), empty_label="Choose an environment"
    )
    name = forms.CharField(
        max_length=63,
        help_text="Lowercase letters, digits and '-', starting with a letter, e.g. chat-prod.",
    )
    scaling = forms.ChoiceField(
        choices=[(FIXED, "Fixed replicas"), (AUTOSCALE, "Autoscale")],
        initial=FIXED,
        widget=forms.RadioSelect,
    )
    replicas = forms.IntegerField(min_value=1, initial=1, required=False, help_text="e.g. 2")
    min_replicas = forms.IntegerField(min_value=1, required=False, label="Minimum replicas")
    max_replicas = forms.IntegerField(min_value=1, required=False, label="Maximum replicas")
    autoscaling_metric = forms.ChoiceField(
        choices=AutoscalingMetric.choices, initial=AutoscalingMetric.CPU, label="Metric"
    )
    autoscaling_metric_name = forms.CharField(
        required=False,
        label="Custom metric name",
        help_text="For a custom metric, e.g. vllm:num_requests_waiting.",
    )
    autoscaling_target = forms.IntegerField(
        min_value=1,
        required=False,
        label="Target",
        help_text="e.g. 70 (% CPU), or the custom metric's average per pod.",
    )
    gpu_kind = forms.ChoiceField(
        choices=[(NO_GPU, "No GPU"), (WHOLE_GPU, "Whole GPUs"), (MIG, "MIG slices")],
        initial=NO_GPU,
        widget=forms.RadioSelect,
        label="Kind of GPU",
    )
    gpu_model = forms.ChoiceField(required=False, label="GPU model")
    mig_profile = forms.ChoiceField(required=False, label="MIG profile")
    gpu_count = forms.IntegerField(
        min_value=1, initial=1, required=False, label="GPUs per pod", help_text="e.g. 1"
    )
    cpu = forms.CharField(
        max_length=32, initial="1", label="CPU", help_text="Cores per pod: e.g. 2, or 500m."
    )
    memory = forms.CharField(
        max_length=32, initial="4Gi", help_text="Per pod: e.g. 16Gi, or 512Mi."
    )

    def __init__(self, *args: Any, user: Any, preview: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.preview = preview
        self.fields["model_version"].queryset = deployable_versions(user)
        self.fields["environment"].queryset = self._environments(user)
        if preview:
            for field in self.fields.values():
                field.required = False
        # Another version or environment changes what may be chosen below it: the form
        # comes back re-rendered (and only then, not also the previews' request).
        for name in ("model_version", "environment"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": reverse("deployments:new"),
                    "hx-trigger": "change consume",
                    "hx-target": "#deploy-form",
                    "hx-swap": "outerHTML",
                    "hx-vals": '{"_refresh": "1"}',
                }
            )
        self.set_gpu_offer(GpuOffer([], []))

    def _environments(self, user: Any) -> QuerySet[Environment]:
        teams = teams_for(user, Role.DEPLOYER)
        version = self.chosen("model_version", deployable_versions(user))
        if version is not None:
            teams = teams.filter(pk=version.model.team_id)
        return (
            Environment.objects.filter(teams__in=teams)
            .select_related("cluster")
            .distinct()
            .order_by("name")
        )

    def chosen(self, name: str, queryset: QuerySet | None = None) -> Any:
        """The record a select currently names (posted, else initial), if it may be chosen."""
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        raw = getattr(raw, "pk", raw)
        if not raw or not str(raw).isdigit():
            return None
        queryset = queryset if queryset is not None else self.fields[name].queryset
        return queryset.filter(pk=raw).first()

    def set_gpu_offer(self, offer: GpuOffer) -> None:
        self.gpu_offer = offer
        self.fields["gpu_model"].choices = [("", "Any GPU model")] + [
            (m, m) for m in offer.gpu_models
        ]
        self.fields["mig_profile"].choices = [("", "Choose a MIG profile")] + [
            (p, p) for p in offer.mig_profiles
        ]
        self.fields["gpu_model"].error_messages["invalid_choice"] = (
            "The environment's cluster offers no %(value)s GPUs; choose one from the list."
        )
        self.fields["mig_profile"].error_messages["invalid_choice"] = (
            "The environment's cluster offers no %(value)s MIG slices; choose one from the list."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        bounds = (data.get("min_replicas"), data.get("max_replicas"))
        if not self.preview and data.get("scaling") == AUTOSCALE and bounds == (None, None):
            # Both empty would read as "not autoscaled" to the service: say what was chosen.
            self.add_error(
                "max_replicas", "Autoscaling needs a minimum and a maximum, e.g. 1 and 4."
            )
        return data

    def spec(self) -> dict[str, Any]:
        """The cleaned values as the service's spec fields (scaling and GPU modes resolved)."""
        data = self.cleaned_data
        spec: dict[str, Any] = {
            "cpu": data.get("cpu") or "1",
            "memory": data.get("memory") or "4Gi",
        }
        if data.get("scaling") == AUTOSCALE:
            spec.update(
                min_replicas=data.get("min_replicas"),
                max_replicas=data.get("max_replicas"),
                autoscaling_metric=data.get("autoscaling_metric") or AutoscalingMetric.CPU,
                autoscaling_metric_name=data.get("autoscaling_metric_name") or "",
                autoscaling_target=data.get("autoscaling_target"),
            )
        else:
            spec.update(replicas=data.get("replicas") or 1, min_replicas=None, max_replicas=None)
        kind = data.get("gpu_kind") or NO_GPU
        count = data.get("gpu_count")
        spec.update(
            gpu_count=0 if kind == NO_GPU else (count if count is not None else 0),
            gpu_model=(data.get("gpu_model") or "") if kind == WHOLE_GPU else "",
            mig_profile=(data.get("mig_profile") or "") if kind == MIG else "",
        )
        return spec

    def show_service_errors(self, exc: ValidationError) -> None:
        """Each of the service's errors beside the field it names (quota refusals name
        theirs in `params`), the rest above the form."""
        if hasattr(exc, "error_dict"):
            pairs = [(f, e) for f, errors in exc.error_dict.items() for e in errors]
        else:
            pairs = [((e.params or {}).get("field"), e) for e in exc.error_list]
        for field, error in pairs:
            message = error.message % error.params if error.params else error.message
            self.add_error(self._field_for(field), message)

    def _field_for(self, name: str | None) -> str | None:
        if name == "replicas" and self.cleaned_data.get("scaling") == AUTOSCALE:
            return "max_replicas"
        return name if name in self.fields else None


def initial_from(deployment: Deployment) -> dict[str, Any]:
    """The form's values for an existing deployment (what a preview changes from)."""
    autoscaled = deployment.min_replicas is not None
    kind = MIG if deployment.mig_profile else WHOLE_GPU if deployment.gpu_count else NO_GPU
    return {
        "model_version": deployment.model_version_id,
        "environment": deployment.environment_id,
        "name": deployment.name,
        "scaling": AUTOSCALE if autoscaled else FIXED,
        "replicas": deployment.replicas,
        "min_replicas": deployment.min_replicas,
        "max_replicas": deployment.max_replicas,
        "autoscaling_metric": deployment.autoscaling_metric,
        "autoscaling_metric_name": deployment.autoscaling_metric_name,
        "autoscaling_target": deployment.autoscaling_target,
        "gpu_kind": kind,
        "gpu_model": deployment.gpu_model,
        "mig_profile": deployment.mig_profile,
        "gpu_count": deployment.gpu_count or 1,
        "cpu": deployment.cpu,
        "memory": deployment.memory,
    }
