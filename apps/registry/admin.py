"""Models and versions in the admin, written through `apps.registry.services` like UI and API.

The admin form only collects values. When it validates, the service runs once
inside a savepoint that is then rolled back: its role check, its rules (a
version in use is frozen but for its description) and its messages become form
errors, and nothing is written. Saving runs the service for real, which checks
again under its row lock and records the audit event.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from apps.accounts.admin import TeamScopedAdmin
from apps.registry import services
from apps.registry.models import Model, ModelVersion


class _DryRun(Exception):
    """Raised to roll back a service call made only to validate."""


class ServiceAdmin(TeamScopedAdmin):
    """A TeamScopedAdmin whose add and change go through a service function.

    Subclasses name the service's fields, and say how to create and update.
    """

    service_fields: tuple[str, ...] = ()

    def create(self, request: HttpRequest, obj: Any, values: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update(self, request: HttpRequest, obj: Any, values: dict[str, Any]) -> Any:
        raise NotImplementedError

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        admin_page = self

        class ServiceForm(form_class):
            def _post_clean(self) -> None:
                super()._post_clean()
                if not self.errors:
                    admin_page._dry_run(request, self)

        return ServiceForm

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool):
        saved = self._write(request, obj, form, change)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def _dry_run(self, request: HttpRequest, form: forms.ModelForm) -> None:
        change = form.instance.pk is not None
        try:
            with transaction.atomic():
                self._write(request, form.instance, form, change)
                raise _DryRun
        except _DryRun:
            pass
        except PermissionDenied as refused:
            form.add_error(None, str(refused))
        except ValidationError as invalid:
            _add_errors(form, invalid)

    def _write(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> Any:
        if change:
            # Only what the form changed, so the service's audit message says just that.
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            values = {n: v for n, v in changed.items() if n in self.service_fields}
            return self.update(request, type(obj).objects.get(pk=obj.pk), values)
        values = {n: v for n, v in form.cleaned_data.items() if n in self.service_fields}
        return self.create(request, obj, values)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        # Whose record it is stays fixed; the services change nothing else about it.
        owner = self.team_path.split("__")[0]
        return [*fields, owner] if obj is not None and owner not in fields else fields


def _add_errors(form: forms.ModelForm, invalid: ValidationError) -> None:
    if not hasattr(invalid, "error_dict"):
        form.add_error(None, invalid)
        return
    for name, errors in invalid.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


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
