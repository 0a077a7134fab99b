from collections.abc import Callable
from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from apps.accounts import services
from apps.accounts.access import role_in, teams_for
from apps.accounts.choices import ROLE_RANK, Role
from apps.accounts.forms import NewTokenForm
from apps.accounts.models import ApiToken, Membership, Team


class TeamScopedAdmin(admin.ModelAdmin):
    """An admin page that shows staff only their teams' records (superusers see all).

    `team_path` is the lookup from the record to its team, as on its model's queryset.
    Choices of teams in forms and filters are narrowed the same way, so another
    team's name never shows up in a drop-down either.
    """

    team_path = "team"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).visible_to(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.related_model is Team:
            kwargs["queryset"] = teams_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def is_platform_admin(user: Any) -> bool:
    """Superusers run the platform; every other staff member is a member of teams."""
    return bool(user.is_active and user.is_superuser)


class PlatformAdmin(admin.ModelAdmin):
    """Platform objects (clusters, environments, quotas, teams, users): only superusers add,
    change or delete them, whatever Django permissions a staff member holds. Other staff at
    most view the records of their own teams, found through `team_path` (none when None).
    """

    team_path: str | None = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        records = super().get_queryset(request)
        if is_platform_admin(request.user):
            return records
        if self.team_path is None:
            return records.none()
        return records.visible_to(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if is_platform_admin(request.user):
            return True
        return self.team_path is not None and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_platform_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)


class PlatformInline:
    """An inline on a platform object's page: written only by superusers, like the page."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)


class _DryRun(Exception):
    """Raised to roll back a service call made only to validate."""


class ServiceAdmin(TeamScopedAdmin):
    """A TeamScopedAdmin whose add and change go through a service function.

    The admin form only collects values. When it validates, the service runs
    once inside a savepoint that is then rolled back: its role check, its rules
    and its messages become form errors, and nothing is written. Saving runs the
    service for real, which checks again under its locks and records the audit
    event. Subclasses name the service's fields and say how to create and update.
    """

    service_fields: tuple[str, ...] = ()
    # The role the services ask for; the pages open only to those who hold it (the
    # services check again), and offer only the teams where they hold it.
    required_role: str = Role.DEPLOYER

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request, *args) and (
            teams_for(request.user, self.required_role).exists()
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._holds_role(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only pages that delete through a service (`deletes_through_service`) let staff
        # delete; elsewhere a delete would skip the services' rules and audit trail.
        if not super().has_delete_permission(request, obj):
            return False
        if is_platform_admin(request.user):
            return True
        return self.deletes_through_service and self._holds_role(request, obj)

    deletes_through_service = False

    def _holds_role(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return teams_for(request.user, self.required_role).exists()
        team = obj
        for step in self.team_path.split("__"):
            team = getattr(team, step)
        held = role_in(request.user, team)
        return held is not None and ROLE_RANK[Role(held)] >= ROLE_RANK[Role(self.required_role)]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.related_model is Team:
            kwargs["queryset"] = teams_for(request.user, self.required_role)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
        refusal = refusal_of(lambda: self._write(request, form.instance, form, change))
        if isinstance(refusal, ValidationError) and hasattr(refusal, "error_dict"):
            for name, errors in refusal.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        elif refusal is not None:
            form.add_error(None, _sentence(refusal))

    def _write(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> Any:
        if change:
            # Only what the form changed, so the service's audit message says just that.
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            values = {n: v for n, v in changed.items() if n in self.service_fields}
            current = type(obj).objects.get(pk=obj.pk)
            return self.update(request, current, values) if values else current
        values = {n: v for n, v in form.cleaned_data.items() if n in self.service_fields}
        return self.create(request, obj, values)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        # Whose record it is stays fixed; the services change nothing else about it.
        owner = self.team_path.split("__")[0]
        return [*fields, owner] if obj is not None and owner not in fields else fields


def refusal_of(call: Callable[[], Any]) -> ValidationError | PermissionDenied | None:
    """What a service call would refuse with, found by running it in a rolled-back savepoint."""
    try:
        with transaction.atomic():
            call()
            raise _DryRun
    except _DryRun:
        return None
    except (PermissionDenied, ValidationError) as refusal:
        return refusal


def _sentence(refusal: ValidationError | PermissionDenied) -> str:
    if isinstance(refusal, ValidationError):
        return " ".join(refusal.messages)
    return str(refusal)


class MembershipInline(admin.TabularInline):
    """The team's members at a glance; they are changed on the Membership pages, through
    the services, so that roles are checked and the audit trail records it."""

    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(PlatformAdmin):
    """Teams are platform objects; their admins manage members on the Memberships page."""

    list_display = ["name", "display_name", "member_count", "created_at"]
    search_fields = ["name", "display_name", "description"]
    inlines = [MembershipInline]
    team_path = "id"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, team: Team) -> int:
        return team._member_count


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    """Members are added, re-roled and removed by the team's admins, through the services."""

    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields = ["user", "team"]
    service_fields = ("role",)
    required_role = Role.ADMIN
    deletes_through_service = True

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.name == "user" and not is_platform_admin(request.user):
            # Team admins name the newcomer, as in the API; the list of users is not theirs.
            return forms.ModelChoiceField(
                queryset=get_user_model().objects.filter(is_active=True),
                to_field_name="username",
                widget=forms.TextInput,
                label="Username",
                error_messages={
                    "invalid_choice": "There is no active user with that username; check "
                    "the spelling, e.g. 'alice'."
                },
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create(self, request: HttpRequest, obj: Membership, values: dict[str, Any]):
        return services.add_member(
            actor=request.user, team=obj.team, username=obj.user.get_username(), **values
        )

    def update(self, request: HttpRequest, obj: Membership, values: dict[str, Any]):
        return services.change_role(actor=request.user, membership=obj, **values)

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "user"] if obj is not None else fields

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, each through remove_member
        return actions

    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        membership = self.get_object(request, object_id)
        allowed = membership is not None and self.has_delete_permission(request, membership)
        if request.method == "POST" and allowed:
            refusal = refusal_of(
                lambda: services.remove_member(actor=request.user, membership=membership)
            )
            if refusal is not None:
                self.message_user(request, _sentence(refusal), messages.ERROR)
                return redirect("admin:accounts_membership_change", membership.pk)
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        services.remove_member(actor=request.user, membership=obj)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued and revoked through the services; the secret is shown once."""

    list_display = ["name", "user", "prefix", "created_at", "expires_at", "status", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        tokens = super().get_queryset(request).select_related("user")
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def get_form(self, request: HttpRequest, obj: ApiToken | None = None, **kwargs: Any):
        if obj is not None:  # an issued token is only looked at
            return super().get_form(request, obj, **kwargs)
        kwargs["form"] = NewTokenForm
        kwargs["fields"] = None
        form = super().get_form(request, obj, **kwargs)
        form.requesting_user = request.user
        return form

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return ["user", "name", "expires_in_days"]
        return ["user", "name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        return self.get_fields(request, obj) if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # revoke instead, so the audit trail keeps the token's history

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        issued = services.create_token(
            actor=request.user,
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
        # The admin goes on with `obj` (its log entry, response_add): make it the saved token.
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(issued.token, field.attname))
        obj._state.adding = False
        request._issued_token = issued  # for response_add, in this request only

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None):
        issued = request._issued_token
        # Rendered straight into this response: never stored, never in a message cookie.
        return TemplateResponse(
            request,
            "admin/accounts/apitoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Copy your new API token",
                "token": issued.token,
                "plain": issued.plain,
            },
        )

    @admin.display(description="Status")
    def status(self, token: ApiToken) -> str:
        if token.revoked_at:
            return "revoked"
        return "active"

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> HttpResponse | None:
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                services.revoke_token(token, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                continue
            revoked += 1
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
        return None


# Django's own user and group pages: who is staff, superuser, or holds which
# permission is the platform's business, so a staff member never grants themselves more.
User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class PlatformUserAdmin(PlatformAdmin, UserAdmin):
    pass


@admin.register(Group)
class PlatformGroupAdmin(PlatformAdmin, GroupAdmin):
    pass


# django-axes' pages (failed sign-ins, by whom and from where; lockouts) are the
# platform's: a staff member who could delete an entry could lift their own lockout.
class PlatformAccessAttemptAdmin(PlatformAdmin, axes_admin.AccessAttemptAdmin):
    pass


class PlatformAccessLogAdmin(PlatformAdmin, axes_admin.AccessLogAdmin):
    pass


class PlatformAccessFailureLogAdmin(PlatformAdmin, axes_admin.AccessFailureLogAdmin):
    pass


for _model, _admin_class in (
    (AccessAttempt, PlatformAccessAttemptAdmin),
    (AccessLog, PlatformAccessLogAdmin),
    (AccessFailureLog, PlatformAccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _admin_class)
