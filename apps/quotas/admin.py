from django.contrib import admin

from apps.accounts.admin import TeamAdmin
from apps.accounts.models import Team
from apps.quotas.models import Quota, QuotaLimit


class QuotaInline(admin.StackedInline):
    """Quota fields edited on the team's own page."""

    model = Quota
    can_delete = False
    fields = ["gpus_total", "replicas", "cpu", "memory"]
    verbose_name_plural = "Quota (GPU limits per model are on the quota's own page)"


class QuotaLimitInline(admin.TabularInline):
    model = QuotaLimit
    extra = 1


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ["team", "gpus_display", "replicas_display", "cpu_display", "memory_display"]
    search_fields = ["team__name"]
    inlines = [QuotaLimitInline]
    autocomplete_fields = ["team"]

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
