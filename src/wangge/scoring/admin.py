"""Admin: the ledger is read-only here too (no change, no delete); rules and settings are
edited through the app's pages and services, which check and audit."""

from django.contrib import admin

from .models import Admonishment, Assessment, AssessmentSettings, BundleLink, PointEntry, PointRule


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PointEntry)
class PointEntryAdmin(ReadOnlyAdmin):
    list_display = ["day", "subject_name", "subject_kind", "rule", "points", "reason"]
    list_filter = ["subject_kind", "rule"]
    search_fields = ["subject_name", "reason"]
    list_select_related = ["rule"]


@admin.register(PointRule)
class PointRuleAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "subject_kind", "points", "trigger", "event", "is_active"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["start", "period_kind", "subject_name", "score", "state"]
    list_filter = ["period_kind", "subject_kind", "state"]


@admin.register(Admonishment)
class AdmonishmentAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "talked_at", "talked_by"]


@admin.register(BundleLink)
class BundleLinkAdmin(admin.ModelAdmin):
    list_display = ["village", "user", "kind", "is_active"]
    raw_id_fields = ["village", "user"]

    def save_model(self, request, obj, form, change):
        obj.area_path = obj.village.path
        super().save_model(request, obj, form, change)


@admin.register(AssessmentSettings)
class AssessmentSettingsAdmin(admin.ModelAdmin):
    list_display = ["base_score", "threshold"]
