from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core import generations

from .choices import Role, Weekday

POSTS_GENERATION = "accounts.posts"
# Who may take a case (posts, leave, duty hours, active users): cases.routing keeps it in memory.
ROSTER_GENERATION = "accounts.roster"


def roster_changed() -> None:
    """Every process forgets who may take cases (cases.routing.Roster)."""
    generations.changed(ROSTER_GENERATION)


USERS_GENERATION = "accounts.users"


def users_changed() -> None:
    """Every process forgets the users it keeps for API tokens (core.rest) and its roster:
    a user deactivated, a token revoked."""
    generations.changed(USERS_GENERATION)
    roster_changed()


def posts_changed() -> None:
    """Every process forgets the posts it keeps per user (accounts.selectors.active_posts)
    and its roster: called, in the writing transaction, by every write of posts, whatever its
    way (instance or queryset), and by the area services that move or rename areas."""
    generations.changed(POSTS_GENERATION)
    roster_changed()


class _Tracked(models.QuerySet):
    """A queryset whose bulk writes (which send no signals) announce the change themselves."""

    changed = staticmethod(roster_changed)

    def update(self, **kwargs):
        self.changed()
        return super().update(**kwargs)

    def delete(self):
        self.changed()
        return super().delete()

    def bulk_create(self, *args, **kwargs):
        self.changed()
        return super().bulk_create(*args, **kwargs)

    def bulk_update(self, *args, **kwargs):
        self.changed()
        return super().bulk_update(*args, **kwargs)


class _UserQuerySet(_Tracked):
    changed = staticmethod(users_changed)


class TrackedUserManager(UserManager.from_queryset(_UserQuerySet)):
    """Django's user manager; its bulk writes announce a change of the roster."""


class User(AbstractUser):
    """A person who logs in 用户: grid worker, village or town official, department staff."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)

    objects = TrackedUserManager()

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


class PostQuerySet(_Tracked):
    changed = staticmethod(posts_changed)

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

    objects = _Tracked.as_manager()

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

    objects = _Tracked.as_manager()

    class Meta:
        verbose_name = _("leave")
        verbose_name_plural = _("leaves")
        indexes = [models.Index(fields=["user", "start", "end"], name="leave_user_span_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="leave_ordered")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"


def _login_only(update_fields=None, **kwargs) -> bool:
    return bool(update_fields) and set(update_fields) <= {"last_login"}


# The posts are kept with their areas and departments: a renamed area is a change of them.
# A login (last_login saved) changes nobody's rights or availability.
generations.on_change(posts_changed, Post, Department, "areas.Area")
generations.on_change(users_changed, User, "authtoken.Token", unless=_login_only)
generations.on_change(roster_changed, Leave, DutyHours)
