from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Role, Weekday


class User(AbstractUser):
    """A person who logs in 用户: grid worker, village or town official, department staff."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


class Department(models.Model):
    """A functional department 部门 (police station, land office, civil affairs, legal aid…)
    that cases can be dispatched to (吹哨报到)."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="departments"
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="department_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class PostQuerySet(models.QuerySet):
    def active(self, on=None):
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(start_date__lte=day).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day)
        )


class Post(models.Model):
    """A post 岗位: a user holds a role on an area from one date to another. A post on an area
    covers the area's whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="posts",
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="posts"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, db_index=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)
    on_call = models.BooleanField(
        _("on-call team"),
        default=False,
        help_text=_("Member of the after-hours emergency team of the area."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            models.Index(fields=["user", "end_date"], name="post_user_end_idx"),
            models.Index(fields=["area", "role"], name="post_area_role_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="post_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area}"


class DutyHours(models.Model):
    """Working hours 值班时间 of a user on a weekday; outside them the after-hours rule applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_hours"
    )
    weekday = models.IntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("duty hours")
        verbose_name_plural = _("duty hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="duty_hours_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Leave(models.Model):
    """Leave 请假: while a grid worker is away the AB partner stands in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaves"
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("to"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("leave")
        verbose_name_plural = _("leaves")
        indexes = [models.Index(fields=["user", "start", "end"], name="leave_user_span_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="leave_ordered")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"
