"""List filters for deployments and the audit trail, shared by the HTML pages and the API."""

import datetime as dt

import django_filters
from django import forms
from django.db import connection
from django.db.models import Q, QuerySet
from django_filters.fields import IsoDateTimeField

from apps.core.filtering import IdFilter
from apps.deployments.choices import ConditionType, EventSource, State
from apps.deployments.models import Deployment, Event

# ?condition=<value>: (condition type, wanted status, whether the match is negated).
CONDITIONS = {
    "degraded": ("Degraded", "True", False),
    "progressing": ("Progressing", "True", False),
    "not_available": ("Available", "True", True),
    "not_synced": ("Synced", "True", True),
}
CONDITION_CHOICES = [
    ("degraded", "Degraded"),
    ("progressing", "Progressing"),
    ("not_available", "Not available"),
    ("not_synced", "Not synced"),
]


def has_condition(type_: str, status: str) -> Q:
    """Deployments whose stored conditions include `type_` with `status`.

    PostgreSQL answers with jsonb containment; SQLite (the zero-setup `make run`) has
    no containment for JSON, so each position of the list is asked instead: a record
    holds at most one condition of each type, so there are no more positions than types.
    """
    if connection.vendor == "postgresql":
        return Q(conditions__contains=[{"type": type_, "status": status}])
    anywhere = Q(pk__in=[])
    for index in range(len(ConditionType)):
        anywhere |= Q(
            **{f"conditions__{index}__type": type_, f"conditions__{index}__status": status}
        )
    return anywhere


class DeploymentFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id", noun="team")
    environment = IdFilter(field_name="environment_id", noun="environment")
    state = django_filters.ChoiceFilter(choices=State.choices)
    condition = django_filters.ChoiceFilter(
        choices=CONDITION_CHOICES,
        method="filter_condition",
        help_text="degraded, progressing, not_available or not_synced.",
    )
    model = IdFilter(field_name="model_version__model_id", noun="model", help_text="Model id.")
    gpu_model = django_filters.CharFilter(
        method="filter_gpu_model",
        help_text="A GPU model (e.g. NVIDIA-H100-80GB-HBM3) or a MIG profile (e.g. 1g.10gb).",
    )
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Deployment
        fields = ["team", "environment", "state", "condition", "model", "gpu_model", "name"]

    def filter_condition(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        type_, status, negated = CONDITIONS[value]
        match = has_condition(type_, status)
        return queryset.exclude(match) if negated else queryset.filter(match)

    def filter_gpu_model(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(Q(gpu_model=value) | Q(mig_profile=value))


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, converted to UTC before it reaches the database.

    Python accepts offsets up to ±24 h, PostgreSQL only up to ±15:59, so a time
    like 2026-01-01T00:00-22:00 would otherwise fail inside the query.
    """

    def to_python(self, value: str | None) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(
                f"'{value}' is outside the range of dates; use e.g. 2026-01-31T12:00:00Z.",
                code="invalid",
            ) from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class EventFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id", noun="team")
    deployment = IdFilter(field_name="deployment_id", noun="deployment")
    verb = django_filters.CharFilter()
    source = django_filters.ChoiceFilter(choices=EventSource.choices)
    actor = django_filters.CharFilter(field_name="actor_name", help_text="Username, or 'gantry'.")
    since = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["team", "deployment", "verb", "source", "actor", "since", "until"]
