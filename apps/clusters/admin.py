from django.contrib import admin
from django.db import models

from apps.clusters.models import Cluster, Environment


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "connection", "kubeconfig_context", "is_active", "created_at"]
    list_filter = ["connection", "is_active"]
    search_fields = ["name", "description"]
    # Prometheus inside a cluster is usually plain http; say so rather than guess.
    formfield_overrides = {models.URLField: {"assume_scheme": "http"}}


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    list_display = ["name", "cluster", "namespace", "tier"]
    list_filter = ["tier", "cluster"]
    search_fields = ["name", "namespace"]
    filter_horizontal = ["teams"]
