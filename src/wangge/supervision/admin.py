"""Read-only admin: supervision records change only through the services (the pages and the
API), so that every change has its timeline step and audit row."""

from django.contrib import admin

from .models import Bulletin, Inspection, Problem, ProblemEvent, SupervisionItem


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupervisionItem)
class SupervisionItemAdmin(ReadOnlyAdmin):
    list_display = ["period", "title", "area", "created_at"]
    list_filter = ["period_kind"]
    search_fields = ["title", "period"]
    raw_id_fields = ["area"]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["inspected_on", "area", "inspector", "staff_expected", "staff_present"]
    date_hierarchy = "inspected_on"
    search_fields = ["notes", "area__name"]
    list_select_related = ["area", "inspector"]


class ProblemEventInline(admin.TabularInline):
    model = ProblemEvent
    extra = 0
    can_delete = False
    fields = ["at", "verb", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = ["id", "area", "responsible", "deadline", "state", "is_overdue"]
    list_filter = ["state", "is_overdue"]
    search_fields = ["description", "area__name"]
    list_select_related = ["area", "responsible"]
    inlines = [ProblemEventInline]


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "area", "start", "end", "state", "published_at"]
    list_filter = ["kind", "state"]
    search_fields = ["title", "number"]
    list_select_related = ["area"]
