from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read only: it is written by services and never changed."""

    list_display = ("created_at", "actor", "verb", "object_type", "object_repr")
    list_filter = ("verb", "object_type")
    search_fields = ("object_repr", "object_id", "actor__username", "actor__full_name")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
