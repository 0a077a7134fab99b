"""Models and versions in the admin, written through `apps.registry.services` like UI and API
(see `ServiceAdmin`): a version in use stays frozen but for its description."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.accounts.admin import ServiceAdmin
from apps.registry import services
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
class ModelAdmin(ServiceAdmin):
    list_display = ["name", "team", "framework", "task", "created_at"]
    list_filter = ["framework", "task", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "description", "team__name"]
    inlines = [ModelVersionInline]
    service_fields = services.MODEL_FIELDS

    def create(self, request: HttpRequest, obj: Model, values: dict[str, Any]) -> Model:
        return services.create_model(actor=request.user, team=obj.team, **values)

    def update(self, request: HttpRequest, obj: Model, values: dict[str, Any]) -> Model:
        return services.update_model(obj, actor=request.user, **values)


@admin.register(ModelVersion)
class ModelVersionAdmin(ServiceAdmin):
    team_path = "model__team"
    list_display = ["__str__", "runtime", "artifact_uri", "created_by", "created_at"]
    list_filter = ["runtime", ("model__team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["version", "model__name", "artifact_uri", "image"]
    autocomplete_fields = ["model"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    service_fields = services.VERSION_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: ModelVersion | None = None):
        # A version in use is frozen but for its description (the service says so too).
        if obj is not None and obj.is_in_use():
            return [f.name for f in obj._meta.fields if f.name != "description"]
        return super().get_readonly_fields(request, obj)

    def create(self, request: HttpRequest, obj: ModelVersion, values: dict[str, Any]):
        return services.create_model_version(actor=request.user, model=obj.model, **values)

    def update(self, request: HttpRequest, obj: ModelVersion, values: dict[str, Any]):
        return services.update_model_version(obj, actor=request.user, **values)
