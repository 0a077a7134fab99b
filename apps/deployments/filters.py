"""List filters for deployments and the audit trail, shared by the HTML pages and the API."""

import django_filters

from apps.deployments.choices import EventSource, State
from apps.deployments.models import Deployment, Event


class DeploymentFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="team_id")
    environment = django_filters.NumberFilter(field_name="environment_id")
    state = django_filters.ChoiceFilter(choices=State.choices)
    model = django_filters.NumberFilter(field_name="model_version__model_id", help_text="Model id.")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Deployment
        fields = ["team", "environment", "state", "model", "name"]


class EventFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="team_id")
    deployment = django_filters.NumberFilter(field_name="deployment_id")
    verb = django_filters.CharFilter()
    source = django_filters.ChoiceFilter(choices=EventSource.choices)
    actor = django_filters.CharFilter(field_name="actor_name", help_text="Username, or 'gantry'.")
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["team", "deployment", "verb", "source", "actor", "since", "until"]
