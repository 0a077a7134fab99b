from django.contrib import admin
from django.db import models

from apps.clusters.models import Cluster, Environment, EnvironmentTeam


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "connection", "kubeconfig_context", "is_active", "created_at"]
    list_filter = ["connection", "is_active"]
    search_fields = ["name", "description"]
    # Prometheus inside a cluster is usually plain http; say so rather than guess.
    formfield_overrides = {models.URLField: {"assume_scheme": "http"}}


class EnvironmentTeamInline(admin.TabularInline):
    """The teams that may deploy here, each with the namespace its objects go in."""

    model = EnvironmentTeam
    extra = 1
    fields = ["team", "namespace"]
    readonly_fields = ["namespace"]
    autocomplete_fields = ["team"]


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    list_display = ["name", "cluster", "namespace", "tier"]
    list_filter = ["tier", "cluster"]
    search_fields = ["name", "namespace"]
    inlines = [EnvironmentTeamInline]
