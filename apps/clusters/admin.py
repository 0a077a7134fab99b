from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.accounts.admin import PlatformAdmin, PlatformInline
from apps.clusters.models import Cluster, Environment, EnvironmentTeam
from apps.core.lib.urls import redact_userinfo


@admin.register(Cluster)
class ClusterAdmin(PlatformAdmin):
    """How to reach each cluster: superusers only (kubeconfig paths, Prometheus URLs)."""

    list_display = ["name", "connection", "kubeconfig_context", "is_active", "created_at"]
    list_filter = ["connection", "is_active"]
    search_fields = ["name", "description"]
    # Prometheus inside a cluster is usually plain http; say so rather than guess.
    formfield_overrides = {models.URLField: {"assume_scheme": "http"}}

    # The Prometheus URL points Gantry's servers at a host, and may hold a password:
    # only superusers set it; other staff see it read-only with the password hidden.
    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if request.user.is_superuser else [*exclude, "prometheus_url"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, "prometheus_url_shown"]

    @admin.display(description="Prometheus URL")
    def prometheus_url_shown(self, cluster: Cluster) -> str:
        return redact_userinfo(cluster.prometheus_url) or "(the global PROMETHEUS_URL)"


class EnvironmentTeamInline(PlatformInline, admin.TabularInline):
    """The teams that may deploy here, each with the namespace its objects go in."""

    model = EnvironmentTeam
    extra = 1
    fields = ["team", "namespace"]
    readonly_fields = ["namespace"]
    autocomplete_fields = ["team"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Staff who may look see their own teams' grants, not who else deploys here.
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Environment)
class EnvironmentAdmin(PlatformAdmin):
    """Superusers change environments; other staff see the ones their teams deploy into."""

    team_path = "teams"
    list_display = ["name", "cluster", "namespace", "tier", "exposure"]
    list_filter = ["tier", "cluster", "exposure"]
    search_fields = ["name", "namespace"]
    inlines = [EnvironmentTeamInline]
