from django.contrib import admin

from .models import DailyNorm, DailyReport, Patrol, Pledge, PledgeCampaign, Visit


@admin.register(DailyNorm)
class DailyNormAdmin(admin.ModelAdmin):
    list_display = ("area", "patrols", "visit_kinds", "tasks", "hours", "updated_at")
    raw_id_fields = ("area", "updated_by")


@admin.register(Patrol)
class PatrolAdmin(admin.ModelAdmin):
    list_display = ("worker", "area", "started_at", "ended_at", "distance_m", "point_count")
    raw_id_fields = ("worker", "area")
    date_hierarchy = "started_at"


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("household", "kind", "visitor", "visited_at", "as_contact")
    list_filter = ("kind",)
    raw_id_fields = ("visitor", "member", "household", "needs")
    date_hierarchy = "visited_at"


@admin.register(DailyReport)
class DailyReportAdmin(admin.ModelAdmin):
    list_display = (
        "worker",
        "day",
        "status",
        "required",
        "compliant",
        "patrols",
        "visits",
        "tasks",
        "hours",
    )
    list_filter = ("status", "required", "compliant")
    raw_id_fields = ("worker", "area")
    date_hierarchy = "day"


class PledgeInline(admin.TabularInline):
    model = Pledge
    raw_id_fields = ("worker",)
    extra = 0


@admin.register(PledgeCampaign)
class PledgeCampaignAdmin(admin.ModelAdmin):
    list_display = ("title", "area", "deadline")
    raw_id_fields = ("area", "created_by")
    inlines = [PledgeInline]
