"""Forms of the registry's pages: they read the input, the services judge it.

Fields only turn text into values (a number, a choice among the user's teams);
every rule is the service's, whose `ValidationError`s `add_service_errors`
shows beside the fields they name, as the API reports them per field.
"""

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet

from apps.accounts.models import Team
from apps.registry.choices import Framework, Runtime, Task
from apps.registry.runtimes import PRESETS


class ServiceForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels are on their own line, no colon needed
        super().__init__(*args, **kwargs)

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show a service's refusal per field; an error of no field of ours tops the form."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            field = name if name in self.fields and name != NON_FIELD_ERRORS else None
            self.add_error(field, errors)


class RegisterModelForm(ServiceForm):
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        empty_label=None,
        error_messages={
            "invalid_choice": "Choose one of the teams in which you may register models.",
        },
    )
    name = forms.CharField(
        max_length=63,
        help_text="Lowercase letters, digits and '-', e.g. 'llama-3-8b'.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    task = forms.ChoiceField(choices=Task.choices, initial=Task.OTHER)
    framework = forms.ChoiceField(choices=Framework.choices, initial=Framework.OTHER)

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class RegisterVersionForm(ServiceForm):
    version = forms.CharField(
        max_length=63, help_text="A lowercase label, e.g. 'v3' or '2024-06-01'."
    )
    artifact_uri = forms.CharField(
        label="Artifact URI",
        max_length=1000,
        help_text="Where the weights are, e.g. 's3://models/llama-3-8b/' or "
        "'hf://meta-llama/Llama-3-8B'.",
    )
    runtime = forms.ChoiceField(
        choices=Runtime.choices,
        initial=Runtime.VLLM,
        help_text="Choosing one fills in its image, port and health path; you may change them.",
    )
    image = forms.CharField(
        required=False,
        max_length=512,
        help_text="Container image, e.g. 'ghcr.io/acme/ranker:1.4'; empty uses the runtime's.",
    )
    port = forms.IntegerField(
        required=False, help_text="Port the server listens on; empty uses the runtime's."
    )
    health_path = forms.CharField(
        required=False,
        max_length=200,
        help_text="Readiness path, e.g. '/health'; empty uses the runtime's.",
    )
    # Labelled by their fieldset too ("Default resources per replica").
    default_cpu = forms.CharField(label="CPU", initial="1", help_text="e.g. '2' or '500m'.")
    default_memory = forms.CharField(label="Memory", initial="4Gi", help_text="e.g. '16Gi'.")
    default_gpu_count = forms.IntegerField(
        label="GPUs", initial=0, help_text="Whole GPUs, e.g. 1; 0 for none."
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    FIELDSETS = (
        ("Artifact", ("version", "artifact_uri", "description")),
        ("Serving", ("runtime", "image", "port", "health_path")),
        ("Default resources per replica", ("default_cpu", "default_memory", "default_gpu_count")),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        preset = PRESETS[Runtime.VLLM]
        initial = {"image": preset.image, "port": preset.port, "health_path": preset.health_path}
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]


def preset_fields() -> dict[str, dict[str, Any]]:
    """Each runtime's image, port and health path, for the form's script to fill in."""
    return {
        runtime: {"image": p.image, "port": p.port, "health_path": p.health_path}
        for runtime, p in PRESETS.items()
    }
