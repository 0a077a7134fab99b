from django.contrib import admin
from django.utils.html import format_html, format_html_join

from apps.accounts.admin import PlatformAdmin, PlatformInline, TeamAdmin
from apps.accounts.models import Team
from apps.quotas.models import Quota, QuotaLimit
from apps.quotas.services import team_usage


class QuotaInline(PlatformInline, admin.StackedInline):
    """Quota fields edited on the team's own page."""

    model = Quota
    can_delete = False
    fields = ["gpus_total", "replicas", "cpu", "memory"]
    verbose_name_plural = "Quota (GPU limits per model are on the quota's own page)"


class QuotaLimitInline(PlatformInline, admin.TabularInline):
    model = QuotaLimit
    extra = 1


@admin.register(Quota)
class QuotaAdmin(PlatformAdmin):
    """Superusers set quotas; other staff see their own teams' quotas and usage."""

    team_path = "team"
    list_display = [
        "team",
        "gpus_display",
        "replicas_display",
        "cpu_display",
        "memory_display",
        "usage_summary",
    ]
    search_fields = ["team__name"]
    inlines = [QuotaLimitInline]
    autocomplete_fields = ["team"]
    readonly_fields = ["usage"]

    @admin.display(description="Usage now (limit, used, free)")
    def usage(self, quota: Quota) -> str:
        if quota.pk is None:
            return "Shown once the quota is saved."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (row.resource, row.limit or "no limit", row.used, row.free or "")
                for row in team_usage(quota.team)
            ),
        )
        return format_html(
            "<table><thead><tr><th>Resource</th><th>Limit</th><th>Used</th><th>Free</th>"
            "</tr></thead><tbody>{}</tbody></table>"
            "<p class='help'>Used counts the worst case: autoscaling maximums and canary "
            "replicas; stopped deployments hold nothing.</p>",
            rows,
        )

    @admin.display(description="Used / limit")
    def usage_summary(self, quota: Quota) -> str:
        limited = [row for row in team_usage(quota.team) if row.limit is not None]
        return ", ".join(f"{row.resource} {row.used}/{row.limit}" for row in limited) or "-"

    @admin.display(description="GPUs (total)", ordering="gpus_total")
    def gpus_display(self, quota: Quota) -> str:
        return _limit(quota.gpus_total, "GPUs")

    @admin.display(description="Replicas", ordering="replicas")
    def replicas_display(self, quota: Quota) -> str:
        return _limit(quota.replicas, "pods")

    @admin.display(description="CPU")
    def cpu_display(self, quota: Quota) -> str:
        return _limit(quota.cpu or None, "cores")

    @admin.display(description="Memory")
    def memory_display(self, quota: Quota) -> str:
        return _limit(quota.memory or None, "bytes" if quota.memory.isdigit() else "")


def _limit(value: object, unit: str) -> str:
    if value is None:
        return "no limit"
    return f"{value} {unit}".strip()


# accounts comes before quotas in the import order, so the quota inline is added
# to the team's page from here rather than named in accounts.admin.
admin.site.unregister(Team)


@admin.register(Team)
class TeamWithQuotaAdmin(TeamAdmin):
    inlines = [*TeamAdmin.inlines, QuotaInline]
