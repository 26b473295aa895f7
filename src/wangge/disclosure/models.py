from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import (
    DEFAULT_MAJORITY_RULE,
    DEFAULT_QUORUM_RULE,
    Category,
    ContributionBasis,
    DecisionKind,
    DecisionStage,
    DisclosureStatus,
    FeedbackKind,
    IssueKind,
    IssueSource,
    IssueStatus,
    MajorityRule,
    PeriodKind,
    ProjectKind,
    QuorumRule,
    SupervisionStatus,
    VotingBody,
    decision_template,
)


class DisclosureItem(models.Model):
    """A kind of content that must (or may) be disclosed 公开事项, e.g. 收支明细 or 党费收缴:
    one of the 24 mandatory items of 三务三资, configurable by the county."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    period_kind = models.CharField(_("period"), max_length=16, choices=PeriodKind.choices)
    is_mandatory = models.BooleanField(_("mandatory"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("disclosure item")
        verbose_name_plural = _("disclosure items")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


def _attachment_path(instance, filename: str) -> str:
    return f"disclosure/{instance.disclosure.village_id}/{filename}"


class Disclosure(models.Model):
    """One disclosure 公开 of a village for one item and period (2026-10, 2026-Q3, 2026): text
    and an optional table, reviewed by the village supervision committee 村务监督委员会 before
    it is published."""

    village = models.ForeignKey(
        "areas.Area", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    item = models.ForeignKey(
        DisclosureItem,
        verbose_name=_("item"),
        on_delete=models.PROTECT,
        related_name="disclosures",
    )
    period = models.CharField(_("period"), max_length=8, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    # {"columns": [...], "rows": [[...], ...]}; ID numbers are masked when published.
    table = models.JSONField(_("table"), default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DisclosureStatus.choices,
        default=DisclosureStatus.DRAFT,
        db_index=True,
    )
    return_reason = models.CharField(_("reason for return"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["-period", "item__order", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "item", "period"], name="disclosure_unique_village_item_period"
            )
        ]
        indexes = [models.Index(fields=["village", "status", "-published_at"], name="disc_pub_idx")]

    def __str__(self) -> str:
        return f"{self.period} {self.title}"

    @property
    def columns(self) -> list:
        return list((self.table or {}).get("columns") or [])

    @property
    def rows(self) -> list:
        return list((self.table or {}).get("rows") or [])

    @property
    def column_types(self) -> list[str]:
        from .tables import column_types

        return column_types(self.table)

    @property
    def header_cells(self) -> list[tuple]:
        """(column name, is a number column) for the table head."""
        types = self.column_types
        return [
            (name, i < len(types) and types[i] in ("number", "money"))
            for i, name in enumerate(self.columns)
        ]

    @property
    def display_rows(self) -> list[list[tuple]]:
        """Rows of (cell, is a number) for the pages: numbers line up on the right."""
        from .tables import money_text

        types = self.column_types
        out = []
        for row in self.rows:
            cells = []
            for i, cell in enumerate(row):
                kind = types[i] if i < len(types) else "text"
                if kind == "money":
                    cell = money_text(cell)
                cells.append((cell, kind in ("number", "money")))
            out.append(cells)
        return out

    @property
    def totals(self) -> list | None:
        """The sums of the money columns (None for the others), or None."""
        from .tables import totals

        return totals(self.table)


class DisclosureAttachment(models.Model):
    """A document attached to a disclosure 附件 (scanned voucher, contract, photo)."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_path)
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Decision(models.Model):
    """A village decision 决策 taken by 四议两公开 (party branch proposes, two committees discuss,
    party members' meeting reviews, villagers' representatives decide; resolution and result
    published) or a 一事一议 matter through the same stages."""

    village = models.ForeignKey(
        "areas.Area", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=DecisionKind.choices,
        default=DecisionKind.FOUR_DISCUSSIONS,
    )
    title = models.CharField(_("matter"), max_length=200)
    summary = models.TextField(_("proposal"), blank=True)
    # 一事一议 matters often raise money or labour from villagers 筹资筹劳.
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    stage = models.CharField(
        _("stage"),
        max_length=24,
        choices=DecisionStage.choices,
        default=DecisionStage.PROPOSED,
        db_index=True,
    )
    majority_rule = models.CharField(
        _("majority rule"),
        max_length=24,
        choices=MajorityRule.choices,
        default=DEFAULT_MAJORITY_RULE,
    )
    quorum_rule = models.CharField(
        _("quorum rule"), max_length=16, choices=QuorumRule.choices, default=DEFAULT_QUORUM_RULE
    )
    representatives_total = models.PositiveIntegerField(_("representatives"), null=True, blank=True)
    attendance = models.PositiveIntegerField(_("present"), null=True, blank=True)
    votes_for = models.PositiveIntegerField(_("for"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("against"), null=True, blank=True)
    votes_abstain = models.PositiveIntegerField(_("abstained"), null=True, blank=True)
    voted_on = models.DateField(_("voted on"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    # 一事一议: why the town government refused the adopted plan (shown on the village page).
    refusal_reason = models.CharField(_("reason for the refusal"), max_length=500, blank=True)
    resolution_published_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(_("implementation result"), blank=True)
    result_published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(attendance__isnull=True)
                | Q(representatives_total__isnull=True)
                | Q(attendance__lte=models.F("representatives_total")),
                name="decision_attendance_le_total",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        from .choices import PUBLIC_DECISION_STAGES

        return self.stage in PUBLIC_DECISION_STAGES

    @property
    def template(self):
        return decision_template(self.kind)

    @property
    def stage_label(self) -> str:
        """The stage as this kind of decision words it (一事一议 has its own)."""
        return self.template.label(self.stage)

    @property
    def is_one_matter(self) -> bool:
        return self.kind == DecisionKind.ONE_MATTER


class OneMatterPlan(models.Model):
    """The plan of a 一事一议 matter 筹资筹劳方案: the public-welfare project, its budget, what
    each person or household contributes (under the province's ceiling), the labour asked of
    each labourer, who is exempted, and which meeting votes on it."""

    decision = models.OneToOneField(
        Decision, on_delete=models.CASCADE, primary_key=True, related_name="plan"
    )
    project_kind = models.CharField(_("project"), max_length=16, choices=ProjectKind.choices)
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)
    other_funding = models.DecimalField(
        _("other funding (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text=_("State awards and subsidies 财政奖补, collective funds, donations."),
    )
    basis = models.CharField(
        _("contribution raised"), max_length=16, choices=ContributionBasis.choices
    )
    contribution = models.DecimalField(
        _("contribution (yuan per year)"), max_digits=10, decimal_places=2
    )
    contribution_cap = models.DecimalField(
        _("ceiling (yuan per year)"), max_digits=10, decimal_places=2
    )
    contributors = models.PositiveIntegerField(_("persons or households contributing"))
    labour_days = models.PositiveSmallIntegerField(_("labour days per labourer"), default=0)
    labour_cap = models.PositiveSmallIntegerField(_("ceiling of labour days"), default=0)
    labourers = models.PositiveIntegerField(_("labourers"), default=0)
    exemptions = models.CharField(_("exempted"), max_length=500, blank=True)
    voting_body = models.CharField(_("voted by"), max_length=16, choices=VotingBody.choices)

    class Meta:
        verbose_name = _("one-matter plan")
        verbose_name_plural = _("one-matter plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(contribution__lte=models.F("contribution_cap")),
                name="one_matter_contribution_le_cap",
            ),
            models.CheckConstraint(
                condition=Q(labour_days__lte=models.F("labour_cap")),
                name="one_matter_labour_le_cap",
            ),
        ]

    def __str__(self) -> str:
        return str(self.decision)

    @property
    def raised(self):
        """Money raised from the villagers: contribution × contributors."""
        return self.contribution * self.contributors

    @property
    def labour_total(self) -> int:
        return self.labour_days * self.labourers


class DecisionStep(models.Model):
    """One dated stage of a decision with its notes and document (会议记录); the timeline."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="steps")
    stage = models.CharField(_("stage"), max_length=24, choices=DecisionStage.choices)
    held_on = models.DateField(_("date"))
    notes = models.TextField(_("notes"), blank=True)
    document = models.FileField(_("document"), upload_to="decisions/%Y/", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("decision stage")
        verbose_name_plural = _("decision stages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "stage"], name="decision_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.decision} · {self.get_stage_display()}"

    @property
    def stage_label(self) -> str:
        return self.decision.template.label(self.stage)


class Feedback(models.Model):
    """What a resident sends from the village page 述询评督: a question 询, a rating 评 (1–5) or
    a supervision report 督 to the village supervision committee. Identified by phone number;
    never shown with it."""

    village = models.ForeignKey(
        "areas.Area", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=FeedbackKind.choices, db_index=True)
    disclosure = models.ForeignKey(
        Disclosure, null=True, blank=True, on_delete=models.CASCADE, related_name="feedback"
    )
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.CASCADE, related_name="feedback"
    )
    phone = models.CharField(_("phone"), max_length=11, db_index=True)
    name = models.CharField(_("name"), max_length=30, blank=True)
    body = models.TextField(_("text"), blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    supervision_status = models.CharField(
        _("supervision status"),
        max_length=16,
        choices=SupervisionStatus.choices,
        default=SupervisionStatus.NONE,
        blank=True,
    )
    case_id = models.PositiveBigIntegerField(null=True, blank=True)
    case_code = models.CharField(_("case"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("resident feedback")
        verbose_name_plural = _("resident feedback")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d}"

    @property
    def masked_phone(self) -> str:
        return self.phone[:3] + "****" + self.phone[-4:] if len(self.phone) == 11 else "****"


class FocalIssue(models.Model):
    """An entry of the focal-issue ledger 问题台账: a question raised at a meeting or face-to-face
    dialogue 焦点问题当面对话, answered on the spot or kept with a responsible person and
    deadline until rectified 整改 and crossed off 销号."""

    village = models.ForeignKey(
        "areas.Area", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=IssueKind.choices)
    source = models.CharField(
        _("raised at"), max_length=32, choices=IssueSource.choices, default=IssueSource.DIALOGUE
    )
    raised_on = models.DateField(_("raised on"))
    raised_by = models.CharField(_("raised by"), max_length=50, blank=True)
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=IssueStatus.choices, db_index=True
    )
    responsible = models.CharField(_("responsible person"), max_length=50, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    rectification = models.TextField(_("rectification"), blank=True)
    rectified_at = models.DateTimeField(null=True, blank=True)
    crossed_off_at = models.DateTimeField(_("crossed off"), null=True, blank=True)
    crossed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("focal issue")
        verbose_name_plural = _("focal-issue ledger")
        ordering = ["-raised_on", "-id"]

    def __str__(self) -> str:
        return self.question[:60]
