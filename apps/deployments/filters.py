"""List filters for deployments and the audit trail, shared by the HTML pages and the API."""

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from apps.core.filtering import IdFilter
from apps.deployments.choices import EventSource, State
from apps.deployments.models import Deployment, Event


class DeploymentFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id", noun="team")
    environment = IdFilter(field_name="environment_id", noun="environment")
    state = django_filters.ChoiceFilter(choices=State.choices)
    model = IdFilter(field_name="model_version__model_id", noun="model", help_text="Model id.")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Deployment
        fields = ["team", "environment", "state", "model", "name"]


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
