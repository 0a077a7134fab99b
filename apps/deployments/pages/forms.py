"""The action forms of the deployment page. They only parse what was typed; every
rule (roles, limits, quota, what a canary may be) is the services' to check, and
their ValidationErrors come back here to be shown beside the field they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from apps.deployments.models import Deployment
from apps.registry.models import ModelVersion


class PageForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # "Replicas", not "Replicas:"
        super().__init__(*args, **kwargs)


class ScaleForm(PageForm):
    mode = forms.ChoiceField(
        choices=[("fixed", "A fixed number of replicas"), ("autoscale", "Autoscale between")],
        widget=forms.RadioSelect,
        initial="fixed",
    )
    replicas = forms.IntegerField(min_value=0, required=False, help_text="e.g. 3")
    min_replicas = forms.IntegerField(min_value=1, required=False, label="Minimum")
    max_replicas = forms.IntegerField(min_value=1, required=False, label="Maximum")
    autoscaling_target = forms.IntegerField(
        min_value=1,
        required=False,
        label="Target",
        help_text="CPU utilization percent (or the custom metric's value per pod), e.g. 70",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == "fixed" and data.get("replicas") is None:
            self.add_error("replicas", "Give the number of replicas, e.g. 3.")
        if data.get("mode") == "autoscale":
            for name in ("min_replicas", "max_replicas"):
                if data.get(name) is None:
                    self.add_error(name, "Give both bounds to autoscale, e.g. 1 and 4.")
        return data

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["mode"] == "fixed":
            return {"replicas": data["replicas"]}
        bounds = {"min_replicas": data["min_replicas"], "max_replicas": data["max_replicas"]}
        if data.get("autoscaling_target") is not None:
            bounds["autoscaling_target"] = data["autoscaling_target"]
        return bounds


class ResourcesForm(PageForm):
    cpu = forms.CharField(label="CPU", max_length=32, help_text="Cores per replica, e.g. 2 or 500m")
    memory = forms.CharField(max_length=32, help_text="Per replica, e.g. 16Gi")
    gpu_count = forms.IntegerField(
        min_value=0, label="GPUs", help_text="Whole GPUs (or MIG slices) per replica, e.g. 1"
    )
    gpu_model = forms.CharField(
        required=False, max_length=100, label="GPU model", help_text="e.g. NVIDIA-H100-80GB-HBM3"
    )
    mig_profile = forms.CharField(
        required=False, max_length=32, label="MIG profile", help_text="e.g. 1g.10gb"
    )

    def arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class CanaryForm(PageForm):
    version = forms.ModelChoiceField(queryset=ModelVersion.objects.none(), label="Canary version")
    weight = forms.IntegerField(
        min_value=0, max_value=100, label="Weight (%)", help_text="Share of traffic, e.g. 20"
    )

    def __init__(self, *args: Any, deployment: Deployment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model's other versions; the service checks again that it may run them.
        self.fields["version"].queryset = ModelVersion.objects.filter(
            model_id=deployment.model_version.model_id
        ).exclude(pk=deployment.model_version_id)
        self.fields["version"].label_from_instance = lambda v: v.version

    def arguments(self) -> dict[str, Any]:
        return {"version": self.cleaned_data["version"], "weight": self.cleaned_data["weight"]}


class DeleteForm(PageForm):
    confirm = forms.CharField(label="Type the deployment's name to delete it", max_length=63)

    def __init__(self, *args: Any, deployment: Deployment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name = deployment.name

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.name:
            raise ValidationError(f"Type {self.name} exactly to confirm; nothing was deleted.")
        return typed

    def arguments(self) -> dict[str, Any]:
        return {}


class RollbackForm(PageForm):
    revision = forms.IntegerField(min_value=1)

    def arguments(self) -> dict[str, Any]:
        return {"revision_number": self.cleaned_data["revision"]}


class ConfirmForm(PageForm):
    """Stop, start, promote and abort: nothing to type, the button says it all."""

    def arguments(self) -> dict[str, Any]:
        return {}


def show_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's refusal beside the field it names, else above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            field = name if name in form.fields else None
            for error in errors:
                form.add_error(field, error.messages)
        return
    for error in exc.error_list:
        field = (error.params or {}).get("field")
        form.add_error(field if field in form.fields else None, error.messages)


def initial_forms(deployment: Deployment, bound: dict[str, forms.Form] | None = None) -> dict:
    """The Actions tab's forms, filled with the current spec; `bound` replaces any by name."""
    d = deployment
    autoscaled = d.min_replicas is not None
    built = {
        "scale": ScaleForm(
            initial={
                "mode": "autoscale" if autoscaled else "fixed",
                "replicas": d.replicas,
                "min_replicas": d.min_replicas,
                "max_replicas": d.max_replicas,
                "autoscaling_target": d.autoscaling_target,
            }
        ),
        "resources": ResourcesForm(
            initial={
                "cpu": d.cpu,
                "memory": d.memory,
                "gpu_count": d.gpu_count,
                "gpu_model": d.gpu_model,
                "mig_profile": d.mig_profile,
            }
        ),
        "canary": CanaryForm(
            deployment=d,
            initial={"version": d.canary_version_id, "weight": d.canary_weight or 10},
        ),
        "delete": DeleteForm(deployment=d),
    }
    built.update(bound or {})
    return built
