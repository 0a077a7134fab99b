from django.contrib import admin

from apps.accounts.admin import TeamScopedAdmin
from apps.deployments.models import Deployment, Event, Revision


class ReadOnlyAdmin(TeamScopedAdmin):
    """Records written only by services and the reconciler: admins look, they do not edit."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    fields = ["number", "reason", "created_by", "created_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    ordering = ["-number"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "team",
        "environment",
        "model_version",
        "state",
        "replicas_display",
        "generation",
        "observed_generation",
    ]
    list_filter = [
        "state",
        ("environment", admin.RelatedOnlyFieldListFilter),
        ("team", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "model_version__model__name", "team__name"]
    list_select_related = ["team", "environment", "model_version__model"]
    inlines = [RevisionInline]

    @admin.display(description="Ready / wanted")
    def replicas_display(self, deployment: Deployment) -> str:
        return f"{deployment.ready_replicas} / {deployment.max_replica_count}"


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    team_path = "deployment__team"
    list_display = ["deployment", "number", "reason", "created_by", "created_at"]
    search_fields = ["deployment__name", "reason"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_name", "verb", "target", "source", "message"]
    list_filter = ["source", "verb", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["target", "message", "actor_name"]
    date_hierarchy = "created_at"
