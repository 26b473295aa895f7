from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import BulletinKind, BulletinState, PeriodKind, ProblemState, Verb


class SupervisionItem(models.Model):
    """A supervision item 督导事项: what the town (or county) checks in an area during one
    month or quarter (月度督查、季度通报), e.g. "网格员在岗履职" or "三务公开落实"."""

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    period_kind = models.CharField(
        _("period"), max_length=8, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    # "2026-11" for a month, "2026-Q4" for a quarter.
    period = models.CharField(_("period"), max_length=8, db_index=True)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what is checked"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supervision item")
        verbose_name_plural = _("supervision items")
        ordering = ["-start", "-id"]
        indexes = [models.Index(fields=["area_path", "start"], name="sup_item_path_start_idx")]

    def __str__(self) -> str:
        return f"{self.period} {self.title}"


class Inspection(models.Model):
    """An inspection 督导检查 of an area: who went, when, and what was checked (reports
    heard 听取汇报, ledgers checked 查阅台账, people at their post 在岗情况 …)."""

    item = models.ForeignKey(
        SupervisionItem,
        verbose_name=_("supervision item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspections",
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    inspected_on = models.DateField(_("date"), db_index=True)
    checks = models.JSONField(_("what was checked"), default=list, blank=True)
    staff_expected = models.PositiveIntegerField(
        _("people expected at post"), null=True, blank=True
    )
    staff_present = models.PositiveIntegerField(_("people found at post"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_on", "-id"]
        indexes = [
            models.Index(fields=["area_path", "inspected_on"], name="sup_insp_path_date_idx")
        ]

    def __str__(self) -> str:
        return f"{self.inspected_on:%Y-%m-%d} {self.area}"

    def check_labels(self) -> list[str]:
        from .choices import Check

        labels = dict(Check.choices)
        return [str(labels.get(c, c)) for c in self.checks or []]


class InspectionPhoto(models.Model):
    """A photo taken during an inspection 现场照片."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to="supervision/%Y/%m/")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")
        ordering = ["id"]


class Problem(models.Model):
    """A problem of the problem list 问题清单: found by an inspection, with the person
    responsible for rectifying it 整改责任人 and a deadline; rectified → verified by the
    supervisor → crossed off 销号."""

    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("inspection"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="problems",
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    description = models.TextField(_("problem"))
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        on_delete=models.PROTECT,
        related_name="supervision_problems",
    )
    deadline = models.DateField(_("deadline"), db_index=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=ProblemState.choices,
        default=ProblemState.OPEN,
        db_index=True,
    )
    is_overdue = models.BooleanField(_("overdue"), default=False, db_index=True)
    # The area whose supervisors now follow the problem: the problem's own area, one level
    # up each time it runs over its deadline (督办 goes up like an overdue case).
    escalated_to = models.ForeignKey(
        "areas.Area",
        verbose_name=_("followed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The deadline for which the sweep has already escalated: once per deadline.
    overdue_for = models.DateField(null=True, blank=True)
    rectification = models.TextField(_("rectification"), blank=True)
    rectified_at = models.DateTimeField(_("rectified"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    crossed_off_at = models.DateTimeField(_("crossed off"), null=True, blank=True, db_index=True)
    crossed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_id = models.PositiveBigIntegerField(null=True, blank=True)
    case_number = models.CharField(_("case"), max_length=32, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problem list")
        ordering = ["-is_overdue", "deadline", "id"]
        indexes = [
            models.Index(fields=["area_path", "state"], name="sup_prob_path_state_idx"),
            models.Index(fields=["responsible", "state"], name="sup_prob_resp_state_idx"),
            models.Index(fields=["state", "deadline"], name="sup_prob_state_deadline_idx"),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class ProblemEvent(models.Model):
    """One dated step of a problem's timeline: found, follow-up 督办 notes and reminders,
    rectification, verification or sending back, cross-off, overdue escalation."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    verb = models.CharField(_("step"), max_length=16, choices=Verb.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("problem step")
        verbose_name_plural = _("problem steps")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_verb_display()} {self.at:%Y-%m-%d}"


class Bulletin(models.Model):
    """A bulletin 通报 of a town or the county for two weeks 双周通报 or a quarter 季度通报:
    the case-loop KPIs, the village ranking 打擂台, praise and criticism by name and the open
    problems, frozen into `content` when generated so that a published bulletin never
    changes."""

    kind = models.CharField(_("kind"), max_length=16, choices=BulletinKind.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    number = models.CharField(_("number"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    remarks = models.TextField(_("remarks"), blank=True)
    content = models.JSONField(default=dict, editable=False)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=BulletinState.choices,
        default=BulletinState.DRAFT,
        db_index=True,
    )
    generated_at = models.DateTimeField(_("generated"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-end", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "kind", "start"], name="bulletin_unique_area_kind_start"
            )
        ]
        indexes = [models.Index(fields=["area_path", "state", "-end"], name="bulletin_path_idx")]

    def __str__(self) -> str:
        return self.title
