import secrets

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from wangge.core.audit import audit
from wangge.core.errors import DomainError

from . import services
from .models import (
    Case,
    CaseAction,
    Category,
    CategoryLimit,
    IntakeReceipt,
    Notification,
    Open311Client,
)
from .services import hash_api_key


class CategoryLimitInline(admin.TabularInline):
    model = CategoryLimit
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "default_urgency", "default_level", "is_active"]
    list_filter = ["is_active", "default_level", "default_urgency"]
    search_fields = ["code", "name"]
    inlines = [CategoryLimitInline]


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    """API keys for Open311 clients. The key is shown once, when the client is added; only its
    hash is stored."""

    list_display = ["name", "key_prefix", "is_active", "issued_by", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    fields = ["name", "is_active"]

    def save_model(self, request, obj, form, change):
        if not change:
            key = secrets.token_urlsafe(24)
            obj.key_prefix = key[:8]
            obj.key_hash = hash_api_key(key)
            obj.issued_by = request.user
            super().save_model(request, obj, form, change)
            audit(actor=request.user, verb="open311.client_issue", obj=obj)
            messages.warning(
                request,
                _("The API key of %(name)s is %(key)s — copy it now, it will not be shown again.")
                % {"name": obj.name, "key": key},
            )
        else:
            super().save_model(request, obj, form, change)
            audit(actor=request.user, verb="open311.client_update", obj=obj)


class CaseActionInline(admin.TabularInline):
    model = CaseAction
    extra = 0
    can_delete = False
    readonly_fields = [
        "created_at",
        "actor",
        "actor_role",
        "verb",
        "from_state",
        "to_state",
        "from_level",
        "to_level",
        "note",
        "is_public",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the services (the work pages and the API)."""

    list_display = ["number", "title", "category", "state", "level", "warning", "reported_at"]
    list_filter = ["state", "level", "warning", "source", "category"]
    search_fields = ["number", "title"]
    inlines = [CaseActionInline]
    exclude = ["reporter_phone", "reporter_email", "reporter_name"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the case services."""

    list_display = ["created_at", "recipient", "verb", "text", "read_at"]
    list_filter = ["verb"]
    search_fields = ["text", "recipient__username"]
    raw_id_fields = ["recipient", "case"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(IntakeReceipt)
class IntakeReceiptAdmin(admin.ModelAdmin):
    """Acknowledged reports 受理回执. Read-only; a receipt that could not be taken in (its
    error says why) is sent round again with the action, once what it lacked is put right."""

    list_display = ["tracking_code", "status", "source", "received_at", "processed_at", "attempts"]
    list_filter = ["status", "source"]
    search_fields = ["tracking_code"]
    readonly_fields = [f.name for f in IntakeReceipt._meta.fields if f.name != "payload"]
    exclude = ["payload"]  # the reporter's texts and phone: not for the list of receipts
    actions = ["retry"]

    @admin.action(description=_("Take the selected failed receipts in again"))
    def retry(self, request, queryset):
        done = 0
        for receipt in queryset.filter(status="failed"):
            try:
                receipt = services.intake_retry(actor=request.user, receipt=receipt)
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
                continue
            done += receipt.status == "done"
        self.message_user(request, _("%(n)d receipt(s) taken in.") % {"n": done})

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
