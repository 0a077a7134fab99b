"""List filters for models, shared by the HTML pages and the API."""

import django_filters

from apps.core.filtering import IdFilter
from apps.registry.models import Model


class ModelFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id", noun="team")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Model
        fields = ["team", "name", "framework", "task"]
