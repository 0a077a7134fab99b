from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from apps.accounts import services
from apps.accounts.access import scope, teams_for
from apps.accounts.forms import NewTokenForm
from apps.accounts.models import ApiToken, Membership, Team


class TeamScopedAdmin(admin.ModelAdmin):
    """An admin page that shows staff only their teams' records (superusers see all).

    `team_path` is the lookup from the record to its team, as for `access.scope()`.
    Choices of teams in forms and filters are narrowed the same way, so another
    team's name never shows up in a drop-down either.
    """

    team_path = "team"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope(super().get_queryset(request), request.user, via=self.team_path)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.related_model is Team:
            kwargs["queryset"] = teams_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "member_count", "created_at"]
    search_fields = ["name", "display_name", "description"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        teams = super().get_queryset(request).filter(pk__in=teams_for(request.user).values("pk"))
        return teams.annotate(_member_count=Count("memberships"))

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, team: Team) -> int:
        return team._member_count


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdmin):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", ("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields = ["user", "team"]


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
