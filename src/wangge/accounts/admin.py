from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from wangge.core.errors import DomainError

from . import services
from .choices import ROLE_LEVELS, Role
from .models import Department, DutyHours, Leave, Post, User
from .selectors import user_scope


class DutyHoursInline(admin.TabularInline):
    model = DutyHours
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "phone", "is_active", "is_staff")
    search_fields = ("username", "full_name", "phone")
    fieldsets = BaseUserAdmin.fieldsets + ((_("Contact"), {"fields": ("full_name", "phone")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Contact"), {"fields": ("full_name", "phone")}),
    )
    inlines = [DutyHoursInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "area", "phone")
    search_fields = ("name", "code")
    autocomplete_fields = ("area",)
    list_select_related = ("area",)


class PostForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = ("user", "area", "role", "department", "start_date", "end_date", "on_call")

    def clean(self):
        data = super().clean()
        area, role = data.get("area"), data.get("role")
        if area is not None and role in ROLE_LEVELS and area.level not in ROLE_LEVELS[role]:
            self.add_error(
                "area",
                _("A %(role)s post cannot be on a %(level)s.")
                % {"role": Role(role).label, "level": area.get_level_display()},
            )
        if role == Role.DEPARTMENT_STAFF and not data.get("department"):
            self.add_error("department", _("Department staff need a department."))
        request = getattr(self, "request", None)
        if area is not None and request is not None:
            if not user_scope(request.user, "manage_posts").covers(area.path):
                self.add_error(
                    "area", _("You cannot manage posts in %(area)s.") % {"area": area.name}
                )
        return data


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    """Posts are created through accounts.services.post_create (level check, audit); once
    created only the end date changes (post_end)."""

    form = PostForm
    list_display = ("user", "role", "area", "start_date", "end_date", "on_call")
    list_filter = ("role", "on_call")
    search_fields = ("user__username", "user__full_name", "area__name", "area__code")
    autocomplete_fields = ("user", "area", "department")
    list_select_related = ("user", "area")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return type(form_class.__name__, (form_class,), {"request": request})

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "area", "role", "department", "start_date", "on_call")

    def save_model(self, request, obj, form, change):
        try:
            if not change:
                created = services.post_create(
                    actor=request.user,
                    user=obj.user,
                    area=obj.area,
                    role=obj.role,
                    start_date=obj.start_date,
                    end_date=obj.end_date,
                    department=obj.department,
                    on_call=obj.on_call,
                )
                obj.pk = created.pk
            elif "end_date" in form.changed_data and obj.end_date:
                services.post_end(actor=request.user, post=obj, end_date=obj.end_date)
        except DomainError as exc:
            messages.error(request, str(exc.message))

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Leave)
class LeaveAdmin(admin.ModelAdmin):
    list_display = ("user", "start", "end", "reason")
    search_fields = ("user__username", "user__full_name")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
