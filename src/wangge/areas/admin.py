from django.contrib import admin

from .models import Area, AreaChange


class ReadOnlyAdmin(admin.ModelAdmin):
    """The territory tree is changed through areas.services (codes, levels, history), so the
    admin only shows it; edits are made on the area pages."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Area)
class AreaAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "level", "kind", "parent", "is_active")
    list_filter = ("level", "kind", "is_active")
    search_fields = ("name", "code")
    list_select_related = ("parent",)
    ordering = ("path",)
    exclude = ("boundary",)


@admin.register(AreaChange)
class AreaChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "area", "kind", "old_parent", "new_parent", "actor")
    list_filter = ("kind",)
    search_fields = ("area__name", "area__code", "note")
    list_select_related = ("area", "old_parent", "new_parent", "actor")
