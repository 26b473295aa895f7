from django.contrib import admin

from .models import Household, ListImport, Resident, ServicePlan, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Tags are configuration: a county may add its own (e.g. a local subsidy list)."""

    list_display = ("name", "code", "target", "is_key")
    list_filter = ("target", "is_key")
    search_fields = ("name", "code")


class ReadOnlyAdmin(admin.ModelAdmin):
    """People data is written through people.services (scope, ID checks, encryption, audit);
    the admin only lets an administrator look."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("number", "grid", "area", "address", "member_count")
    search_fields = ("number", "address")
    list_filter = ("tags",)
    list_select_related = ("grid", "area")


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    list_display = ("name", "id_number_masked", "gender", "household", "relation")
    search_fields = ("name", "household__number")
    list_select_related = ("household",)
    exclude = ("id_number_cipher", "id_number_hash")


@admin.register(ServicePlan)
class ServicePlanAdmin(ReadOnlyAdmin):
    list_display = ("household", "responsible", "updated_at")
    list_select_related = ("household", "responsible")


@admin.register(ListImport)
class ListImportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "source", "tag", "file_name", "matched", "unmatched")
    list_filter = ("source",)
