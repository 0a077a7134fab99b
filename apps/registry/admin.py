from django.contrib import admin

from apps.accounts.admin import TeamScopedAdmin
from apps.registry.models import Model, ModelVersion


class ModelVersionInline(admin.TabularInline):
    model = ModelVersion
    extra = 0
    fields = ["version", "runtime", "artifact_uri", "image", "created_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Model)
class ModelAdmin(TeamScopedAdmin):
    list_display = ["name", "team", "framework", "task", "created_at"]
    list_filter = ["framework", "task", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "description", "team__name"]
    inlines = [ModelVersionInline]


@admin.register(ModelVersion)
class ModelVersionAdmin(TeamScopedAdmin):
    team_path = "model__team"
    list_display = ["__str__", "runtime", "artifact_uri", "created_by", "created_at"]
    list_filter = ["runtime", ("model__team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["version", "model__name", "artifact_uri", "image"]
    autocomplete_fields = ["model"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # A version in use is frozen but for its description (see registry.services).
        if obj is not None and obj.is_in_use():
            return [f.name for f in obj._meta.fields if f.name != "description"]
        return self.readonly_fields
