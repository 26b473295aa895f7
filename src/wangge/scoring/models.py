"""The point ledger 积分明细 and what is computed from it: assessments 考核, the admonishment
list 约谈 and the bundled reward and punishment links 捆绑奖惩.

The ledger is append-only: an entry is never edited or deleted (the model, its queryset,
the admin and the API refuse it); a correction is a reversing entry that points to the entry
it reverses and says why. Automatic entries are keyed by (rule, subject, source record), so
an event announced twice or a task retried writes nothing new.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    EVENT_CHOICES,
    AssessmentState,
    BundleKind,
    CapPeriod,
    PeriodKind,
    SubjectKind,
    Trigger,
)


class ImmutableEntry(Exception):
    """Raised on any attempt to change or delete a ledger entry."""


class PointRule(models.Model):
    """A point rule 积分规则: how many points (plus or minus) a subject earns for something,
    written automatically on a domain event or by hand, with an optional cap per period."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    subject_kind = models.CharField(_("subject"), max_length=16, choices=SubjectKind.choices)
    points = models.DecimalField(
        _("points"),
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("-1000")), MaxValueValidator(Decimal("1000"))],
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    event = models.CharField(_("event"), max_length=48, choices=EVENT_CHOICES, blank=True)
    cap_period = models.CharField(
        _("cap period"), max_length=8, choices=CapPeriod.choices, blank=True, default=""
    )
    cap = models.DecimalField(
        _("cap (points per period)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    is_active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["trigger", "code"]
        indexes = [models.Index(fields=["event", "is_active"], name="pointrule_event_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger="manual", event="") | Q(trigger="automatic") & ~Q(event=""),
                name="pointrule_trigger_event",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.points:+})"


class PointEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # The one exception: the area tree's restructuring rewrites the denormalized scope
        # path (core.paths); what an entry says (subject, points, source) never changes.
        if set(kwargs) == {"area_path"}:
            return super().update(**kwargs)
        raise ImmutableEntry("point entries are append-only; write a reversing entry")

    def delete(self):
        raise ImmutableEntry("point entries are append-only; write a reversing entry")

    def for_subject(self, kind: str, subject_id: int):
        return self.filter(subject_kind=kind, subject_id=subject_id)


class PointEntry(models.Model):
    """One line of the point ledger 积分明细: a subject earned (or lost) points under a rule on
    a day, for a source record (a case, a patrol, a claim, a meeting …) or by hand."""

    rule = models.ForeignKey(
        PointRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="entries"
    )
    subject_kind = models.CharField(_("subject kind"), max_length=16, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField(_("subject"))
    # Shown in lists without a join per row (a name as it was when the entry was written).
    subject_name = models.CharField(_("name"), max_length=100, blank=True)
    # The area the entry belongs to (the source's area, the village, the member's branch):
    # the scope of who may see it.
    area_path = models.CharField(max_length=64)
    # The booking day decides the period (month, quarter, year). It is the day of the event,
    # or today when that day's month is already assessed (see services.booking_day).
    day = models.DateField(_("day"))
    year = models.PositiveSmallIntegerField(editable=False)
    quarter = models.PositiveSmallIntegerField(editable=False)
    month = models.PositiveSmallIntegerField(editable=False)
    event_day = models.DateField(_("day of the event"))
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=1)
    # The source record, as its model label ("cases.case") and id; empty for a manual entry.
    source_type = models.CharField(max_length=48, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    reason = models.CharField(_("reason"), max_length=300)
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    objects = PointEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("point entry")
        verbose_name_plural = _("point ledger")
        ordering = ["-day", "-id"]
        constraints = [
            # Exactly once per rule, subject and source record.
            models.UniqueConstraint(
                fields=["rule", "subject_kind", "subject_id", "source_type", "source_id"],
                condition=Q(source_id__isnull=False),
                name="pointentry_once_per_source",
            ),
        ]
        indexes = [
            models.Index(
                fields=["subject_kind", "subject_id", "day"], name="pointentry_subject_day_idx"
            ),
            models.Index(fields=["area_path", "day"], name="pointentry_path_day_idx"),
            models.Index(fields=["day", "subject_kind"], name="pointentry_day_kind_idx"),
            models.Index(fields=["source_type", "source_id"], name="pointentry_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} {self.points:+} {self.day}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableEntry("point entries are append-only; write a reversing entry")
        self.set_period()
        super().save(*args, **kwargs)

    def set_period(self) -> None:
        """Fill the period keys from the booking day (bulk_create does not call save)."""
        self.year, self.month = self.day.year, self.day.month
        self.quarter = (self.day.month - 1) // 3 + 1

    def delete(self, *args, **kwargs):
        raise ImmutableEntry("point entries are append-only; write a reversing entry")

    @property
    def is_manual(self) -> bool:
        return not self.source_type


class AssessmentSettings(models.Model):
    """The settings of the assessment 考核办法: base score, the admonishment threshold
    (低于80分约谈) and the shares of the bundled reward and punishment. One row."""

    base_score = models.DecimalField(
        _("base score"), max_digits=6, decimal_places=1, default=Decimal("100")
    )
    threshold = models.DecimalField(
        _("admonishment threshold"),
        max_digits=6,
        decimal_places=1,
        default=Decimal("80"),
        help_text=_("Subjects scoring under this are put on the admonishment list."),
    )
    # Percent of a village's points added to each linked person (捆绑奖惩), per link kind.
    share_stationed_cadre = models.DecimalField(
        _("share of a stationed cadre (%)"), max_digits=5, decimal_places=1, default=Decimal("30")
    )
    share_secretary = models.DecimalField(
        _("share of the village secretary (%)"), max_digits=5, decimal_places=1, default=30
    )
    share_town_grid_chief = models.DecimalField(
        _("share of the town grid chief (%)"), max_digits=5, decimal_places=1, default=10
    )
    share_committee = models.DecimalField(
        _("share of a village committee member (%)"), max_digits=5, decimal_places=1, default=20
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("assessment settings")
        verbose_name_plural = _("assessment settings")

    def __str__(self) -> str:
        return str(_("assessment settings"))

    @classmethod
    def get(cls) -> AssessmentSettings:
        obj = cls.objects.order_by("pk").first()
        return obj or cls.objects.create()

    def share(self, kind: str) -> Decimal:
        return getattr(self, f"share_{kind}", Decimal("0"))


class BundleLink(models.Model):
    """A bundled reward and punishment link 捆绑奖惩: the village's points of a period add a
    share to this person's score (驻村点长 with the village secretary, the town grid chief with
    the village committee members)."""

    village = models.ForeignKey(
        "areas.Area", verbose_name=_("village"), on_delete=models.CASCADE, related_name="+"
    )
    area_path = models.CharField(max_length=64, db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="bundle_links",
    )
    kind = models.CharField(_("link"), max_length=24, choices=BundleKind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bundled reward and punishment link")
        verbose_name_plural = _("bundled reward and punishment links")
        ordering = ["area_path", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["village", "user", "kind"], name="bundlelink_unique")
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.user} {self.kind}"


class Assessment(models.Model):
    """The assessment 考核 of one subject for one period (month, quarter, half-year, year):
    base score + the period's ledger entries + the bundled shares. Written once the period has
    ended and final from then on; re-opened only explicitly, with a reason."""

    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    subject_kind = models.CharField(_("subject kind"), max_length=16, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField()
    subject_name = models.CharField(_("name"), max_length=100, blank=True)
    # Roles of a person at the time (for the commendation lists), e.g. "grid_worker,elder".
    roles = models.CharField(max_length=200, blank=True)
    area_path = models.CharField(max_length=64)
    base = models.DecimalField(_("base score"), max_digits=7, decimal_places=1)
    points = models.DecimalField(_("points"), max_digits=9, decimal_places=1)
    bundled = models.DecimalField(_("bundled share"), max_digits=9, decimal_places=1, default=0)
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=1)
    entry_count = models.PositiveIntegerField(_("entries"), default=0)
    # [{village, village_name, kind, share, village_points, amount}] (捆绑奖惩 lines).
    bundle_detail = models.JSONField(default=list, blank=True)
    below_threshold = models.BooleanField(_("under the threshold"), default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=AssessmentState.choices, default=AssessmentState.FINAL
    )
    reopen_reason = models.CharField(_("reason for re-opening"), max_length=300, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-start", "period_kind", "-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_kind", "start", "subject_kind", "subject_id"],
                name="assessment_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["period_kind", "start", "area_path"], name="assessment_period_path_idx"
            ),
            models.Index(fields=["subject_kind", "subject_id"], name="assessment_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} {self.start} {self.score}"


class Admonishment(models.Model):
    """An entry of the admonishment list 约谈名单: a subject scored under the threshold in an
    assessment; the talk 约谈/诫勉谈话 is recorded on it (who talked, when, notes, follow-up)."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="admonishment"
    )
    area_path = models.CharField(max_length=64, db_index=True)
    talked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("talk held by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    talked_at = models.DateTimeField(_("talk held at"), null=True, blank=True)
    notes = models.TextField(_("notes of the talk"), blank=True, max_length=4000)
    follow_up = models.TextField(_("follow-up"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("admonishment")
        verbose_name_plural = _("admonishment list")
        ordering = ["talked_at", "-id"]
        indexes = [models.Index(fields=["talked_at"], name="admonish_talked_idx")]

    def __str__(self) -> str:
        return str(self.assessment)

    @property
    def is_done(self) -> bool:
        return self.talked_at is not None


class ClosedPeriod(models.Model):
    """A month whose assessments are written: its entries are final, so a late entry for a day
    in it is booked in the open period instead (services.booking_day)."""

    month = models.DateField(unique=True)
    closed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("closed month")
        verbose_name_plural = _("closed months")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
