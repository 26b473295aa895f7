"""Fieldwork 网格员日常工作: patrols 巡查, household visits 走访, the daily report 日报告 measured
against the daily norms (the "2348" rule), and responsibility pledges 责任承诺书."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import ReportStatus, VisitKind

_USER = settings.AUTH_USER_MODEL


class DailyNorm(models.Model):
    """The daily norm 每日工作规范 of the grid workers of an area subtree: the "2348" rule (2
    patrols, 3 kinds of visit, 4 tasks, 8 hours) by default. A town may override the county's
    norm and a village the town's: the norm of the deepest area above a worker's grid applies."""

    area = models.OneToOneField(
        "areas.Area", verbose_name=_("area"), on_delete=models.CASCADE, related_name="daily_norm"
    )
    area_path = models.CharField(max_length=64, db_index=True, editable=False)
    patrols = models.PositiveSmallIntegerField(
        _("patrols per day"), default=2, validators=[MaxValueValidator(10)]
    )
    visit_kinds = models.PositiveSmallIntegerField(
        _("kinds of visit per day"), default=3, validators=[MaxValueValidator(3)]
    )
    tasks = models.PositiveSmallIntegerField(
        _("tasks per day"), default=4, validators=[MaxValueValidator(50)]
    )
    hours = models.DecimalField(
        _("working hours per day"),
        max_digits=3,
        decimal_places=1,
        default=Decimal("8.0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("16"))],
    )
    updated_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("daily norm")
        verbose_name_plural = _("daily norms")
        ordering = ["area_path"]

    def __str__(self) -> str:
        return f"{self.area} {self.patrols}{self.visit_kinds}{self.tasks}{self.hours:g}"

    def as_dict(self) -> dict:
        return {
            "patrols": self.patrols,
            "visit_kinds": self.visit_kinds,
            "tasks": self.tasks,
            "hours": float(self.hours),
        }


class Patrol(models.Model):
    """A patrol 巡查 of a grid worker through their grid: started and stopped from the phone,
    with the route points the phone sent. A worker has at most one open patrol."""

    worker = models.ForeignKey(
        _USER, verbose_name=_("grid worker"), on_delete=models.PROTECT, related_name="patrols"
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="patrols"
    )
    area_path = models.CharField(max_length=64, editable=False)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    point_count = models.PositiveIntegerField(_("route points"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker"], condition=Q(ended_at__isnull=True), name="patrol_one_open"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="patrol_times_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["worker", "started_at"], name="patrol_worker_start_idx"),
            models.Index(fields=["area_path", "started_at"], name="patrol_path_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def duration(self):
        if self.ended_at is None:
            return None
        return self.ended_at - self.started_at

    @property
    def duration_minutes(self) -> int | None:
        d = self.duration
        return None if d is None else int(d.total_seconds() // 60)


class PatrolPoint(models.Model):
    """A point of a patrol's route 巡查轨迹点 as the phone's position service gave it."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    recorded_at = models.DateTimeField(_("recorded at"))
    accuracy_m = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("route point")
        verbose_name_plural = _("route points")
        ordering = ["recorded_at", "id"]
        constraints = [
            # A phone retrying an upload sends the same points again: one per instant.
            models.UniqueConstraint(fields=["patrol", "recorded_at"], name="patrolpoint_unique")
        ]


class PatrolFinding(models.Model):
    """A problem found on patrol 巡查发现, reported as a case in one tap."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="findings")
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="patrol_finding"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patrol finding")
        verbose_name_plural = _("patrol findings")
        ordering = ["created_at", "id"]


class Visit(models.Model):
    """A visit 走访 to a household by a grid worker or a party member: 认亲 (getting to know
    the family), 访亲 (calling on it) or 帮亲 (helping it), with the needs collected."""

    visitor = models.ForeignKey(
        _USER, verbose_name=_("visitor"), on_delete=models.PROTECT, related_name="visits"
    )
    member = models.ForeignKey(
        "party.PartyMember",
        verbose_name=_("party member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    area_path = models.CharField(max_length=64, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=VisitKind.choices)
    visited_at = models.DateTimeField(_("visited at"))
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    plan_note = models.TextField(_("one-household-one-plan note"), blank=True, max_length=4000)
    needs = models.ManyToManyField(
        "party.Need", verbose_name=_("needs collected"), blank=True, related_name="visits"
    )
    as_contact = models.BooleanField(_("by the contact party member"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["visitor", "visited_at"], name="visit_visitor_time_idx"),
            models.Index(fields=["household", "visited_at"], name="visit_household_time_idx"),
            models.Index(fields=["area_path", "visited_at"], name="visit_path_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_kind_display()} {self.visited_at:%Y-%m-%d}"


class DailyReport(models.Model):
    """A grid worker's daily report 日报告: drafted from the day's records, notes added and
    submitted by the worker, closed the next day with the compliance against the norm."""

    worker = models.ForeignKey(
        _USER, verbose_name=_("grid worker"), on_delete=models.PROTECT, related_name="daily_reports"
    )
    day = models.DateField(_("day"))
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    patrols = models.PositiveSmallIntegerField(_("patrols"), default=0)
    patrol_minutes = models.PositiveIntegerField(_("patrol minutes"), default=0)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    visits = models.PositiveSmallIntegerField(_("visits"), default=0)
    visits_by_kind = models.JSONField(_("visits by kind"), default=dict, blank=True)
    visit_kinds = models.PositiveSmallIntegerField(_("kinds of visit"), default=0)
    cases_reported = models.PositiveSmallIntegerField(_("cases reported"), default=0)
    cases_handled = models.PositiveSmallIntegerField(_("cases handled"), default=0)
    extra_tasks = models.PositiveSmallIntegerField(
        _("other tasks"), default=0, validators=[MaxValueValidator(20)]
    )
    tasks = models.PositiveSmallIntegerField(_("tasks"), default=0)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1, default=Decimal("0"))
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    is_workday = models.BooleanField(_("workday"), default=True)
    on_leave = models.BooleanField(_("on leave"), default=False)
    # Required: a workday the worker was not on leave; only required days count in the rates.
    required = models.BooleanField(_("required"), default=True)
    compliant = models.BooleanField(_("compliant"), null=True, blank=True)
    missing = models.JSONField(_("missing"), default=dict, blank=True)
    norm = models.JSONField(_("norm applied"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-day", "worker_id"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "day"], name="dailyreport_worker_day")
        ]
        indexes = [
            models.Index(fields=["area_path", "day"], name="dailyreport_path_day_idx"),
            models.Index(fields=["day", "status"], name="dailyreport_day_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} {self.day}"

    @property
    def is_closed(self) -> bool:
        return self.status == ReportStatus.CLOSED


class ClosedDay(models.Model):
    """Bookkeeping of the daily close: the day's reports of every worker are final."""

    day = models.DateField(unique=True)
    reports = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField()

    class Meta:
        ordering = ["-day"]


class PledgeCampaign(models.Model):
    """A responsibility pledge campaign 责任承诺书 (秸秆禁烧, 防汛…) that every grid worker of
    the area signs."""

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=64, db_index=True, editable=False)
    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("pledge text"), max_length=4000)
    deadline = models.DateField(_("sign by"))
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pledge campaign")
        verbose_name_plural = _("pledge campaigns")
        ordering = ["-deadline", "-id"]

    def __str__(self) -> str:
        return self.title


class Pledge(models.Model):
    """A worker's signature on a campaign's pledge: the name typed on the phone and when."""

    campaign = models.ForeignKey(PledgeCampaign, on_delete=models.CASCADE, related_name="pledges")
    worker = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="pledges")
    signed_name = models.CharField(_("signed name"), max_length=50)
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "worker"], name="pledge_once")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.signed_name}"
