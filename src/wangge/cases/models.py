from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core import generations

from .choices import (
    OPEN_STATES,
    AttachmentKind,
    CaseState,
    Level,
    NotificationVerb,
    ReceiptStatus,
    Satisfaction,
    Source,
    Urgency,
    Verb,
    WarningLevel,
)


class Category(models.Model):
    """An event type 事件类型: a configurable two-level tree (e.g. 矛盾纠纷 → 土地纠纷) with its
    default urgency, 三事分流 level, department and deadlines."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    default_urgency = models.CharField(
        _("default urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    default_level = models.CharField(
        _("default level (三事分流)"), max_length=16, choices=Level.choices, default=Level.GRID
    )
    default_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("default department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class CategoryLimit(models.Model):
    """Time limits 办理时限 of a category for one urgency: hours to respond and to resolve,
    counted in working hours (工作时间) or wall-clock time."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="limits")
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices)
    response_hours = models.DecimalField(_("hours to respond"), max_digits=6, decimal_places=2)
    resolve_hours = models.DecimalField(_("hours to resolve"), max_digits=6, decimal_places=2)
    working_time = models.BooleanField(
        _("count working hours only"),
        default=True,
        help_text=_("Off: wall-clock hours, nights and holidays included."),
    )

    class Meta:
        verbose_name = _("category time limit")
        verbose_name_plural = _("category time limits")
        constraints = [
            models.UniqueConstraint(fields=["category", "urgency"], name="category_limit_unique"),
            models.CheckConstraint(
                condition=Q(response_hours__gt=0)
                & Q(resolve_hours__gte=models.F("response_hours")),
                name="category_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.urgency}"


class CaseCounter(models.Model):
    """The last case number given out in a year; locked row so that numbers never repeat."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Case(models.Model):
    """A case 事件/诉求: a problem, dispute, need or question followed around the closed loop
    (闭环) from intake to return visit and closure. The timeline (CaseAction) is the truth;
    the fields here are its current summary for lists."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    tracking_code = models.CharField(_("tracking code"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=4000)
    # No index of its own on the four keys below: each leads a (key, state) index, which
    # serves the same look-ups; every index is one more write per intake and transition.
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)

    # The reporter: stored for call-backs, never shown publicly.
    reporter_name = models.CharField(_("reporter name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=20, blank=True)
    reporter_email = models.EmailField(_("reporter e-mail"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Indexed where set (Meta.indexes): most reports name no household.
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        db_index=False,
    )

    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("grid / micro-grid"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    grid = models.ForeignKey(
        "areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="grid_cases"
    )
    # Copy of area.path for one-table subtree scans; rewritten when the tree is restructured.
    # Indexed through (area_path, state) and (state, area_path, …): no index of its own.
    area_path = models.CharField(max_length=64, editable=False)

    state = models.CharField(
        _("state"), max_length=16, choices=CaseState.choices, default=CaseState.REPORTED
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.GRID)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_cases",
        db_index=False,
    )
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first responder (首问负责人)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="first_responded_cases",
        db_index=False,
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        db_index=False,
    )
    department_reported_at = models.DateTimeField(_("department reported in"), null=True)

    working_time = models.BooleanField(_("deadlines in working hours"), default=True)
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_by = models.DateTimeField(_("resolve by"), null=True, blank=True)
    warn_at = models.DateTimeField(_("yellow warning at"), null=True, blank=True)
    warning = models.CharField(
        _("warning"), max_length=8, choices=WarningLevel.choices, default=WarningLevel.NORMAL
    )
    # The resolve_by value for which the overdue escalation was done: once per overdue period.
    auto_escalated_for = models.DateTimeField(null=True, blank=True, editable=False)

    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), max_length=4000, blank=True)
    # The level a case was resolved at: where it was settled (小事不出村，大事不出镇).
    settled_level = models.CharField(max_length=16, choices=Level.choices, blank=True)

    satisfaction = models.CharField(
        _("satisfaction (return visit)"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    return_visited_at = models.DateTimeField(_("return visit at"), null=True, blank=True)
    public_satisfaction = models.CharField(
        _("satisfaction (reporter)"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    public_rated_at = models.DateTimeField(null=True, blank=True)

    # Indexed where set (Meta.indexes): a new case is never merged.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        db_index=False,
    )

    # Idempotent intake: a client retrying with the same key gets the same case back. The key
    # is unique in IntakeReceipt (every keyed report has one); here it is a copy, and the
    # client is indexed with the report time for Open311's "the requests I posted".
    idempotency_client = models.CharField(max_length=64, blank=True, editable=False)
    idempotency_key = models.CharField(max_length=128, blank=True, editable=False)
    body_hash = models.CharField(max_length=64, blank=True, editable=False)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(
                fields=["idempotency_client", "reported_at"], name="case_client_reported_idx"
            ),
            models.Index(fields=["area_path", "state"], name="case_path_state_idx"),
            # Open cases of a subtree (the dispatch board's count and newest first, "overdue
            # now" of the KPIs): the state first (a few equality seeks), then the path range;
            # the deadline and the report time after them, so that all three are answered
            # from the index alone.
            models.Index(
                fields=["state", "area_path", "resolve_by", "reported_at"],
                name="case_state_path_due_idx",
            ),
            models.Index(fields=["handler", "state"], name="case_handler_state_idx"),
            models.Index(fields=["first_responder", "state"], name="case_first_resp_state_idx"),
            models.Index(fields=["state", "resolve_by"], name="case_state_resolve_idx"),
            models.Index(fields=["state", "warn_at"], name="case_state_warn_idx"),
            models.Index(fields=["category", "state"], name="case_category_state_idx"),
            # Partial: each key is NULL on a new case, and an entry for every NULL would be one
            # more index write per intake for nothing (a look-up by key implies NOT NULL).
            models.Index(
                fields=["department", "state"],
                name="case_department_state_idx",
                condition=models.Q(department__isnull=False),
            ),
            models.Index(
                fields=["household"],
                name="case_household_idx",
                condition=models.Q(household__isnull=False),
            ),
            models.Index(
                fields=["merged_into"],
                name="case_merged_into_idx",
                condition=models.Q(merged_into__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def visited_since_resolved(self) -> bool:
        """Whether the current resolution has had its return visit 回访 (one per resolution:
        an unsatisfied visit reopens the case, and its next resolution, which clears the
        visit's fields, is visited again)."""
        return (
            self.resolved_at is not None
            and self.return_visited_at is not None
            and self.return_visited_at >= self.resolved_at
        )


class CaseAction(models.Model):
    """One step of a case's timeline 处置记录: who did what, from which state and level to
    which. Append-only; the public board, the KPIs and the point ledger read it."""

    # Indexed through (case, created_at).
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The actor's role at the time (a Role value, "public" or "system"): the public board
    # shows the role, never the name.
    actor_role = models.CharField(max_length=32, blank=True)
    verb = models.CharField(_("action"), max_length=32, choices=Verb.choices)
    from_state = models.CharField(max_length=16, choices=CaseState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=CaseState.choices, blank=True)
    from_level = models.CharField(max_length=16, choices=Level.choices, blank=True)
    to_level = models.CharField(max_length=16, choices=Level.choices, blank=True)
    note = models.TextField(_("note"), max_length=4000, blank=True)
    is_public = models.BooleanField(_("shown on the public board"), default=False)
    created_at = models.DateTimeField(_("time"), db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("case action")
        verbose_name_plural = _("case actions")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="caseaction_case_time_idx"),
            models.Index(fields=["verb", "created_at"], name="caseaction_verb_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.verb}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("case actions are append-only")
        super().save(*args, **kwargs)


class IntakeReceipt(models.Model):
    """An acknowledged report 受理回执: what a reporter sent, checked and located, with the
    tracking code it was answered with. A report sent with an idempotency key (every API,
    Open311 and QR-page report) gets one, and the key is unique here: a retry on a bad
    network finds it and never makes a second case. A report acknowledged before it is
    routed (the API with `Prefer: respond-async`) waits here as `pending` until the intake
    worker (tasks.process_intake) turns it into a case with the same tracking code; nothing
    acknowledged is dropped: a report that cannot be taken in stays `failed` with the reason,
    to be retried from the admin."""

    tracking_code = models.CharField(_("tracking code"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ReceiptStatus.choices, default=ReceiptStatus.PENDING
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    received_at = models.DateTimeField(_("received at"))
    # Not indexed: receipts are read by tracking code, key or status, and pruned after
    # WANGGE_RECEIPT_KEEP_DAYS (one index write fewer per report). No constraint: on SQLite
    # the receipts are in a database of their own (wangge.core.routers), and a user who is
    # deleted leaves the id behind (the case made of the receipt holds the reporter).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The report as checked at intake (ids of the category, grid, area and household, the
    # cleaned texts, the stored photos): exactly what the case will be made of.
    payload = models.JSONField(default=dict)
    # NULL for a report without a key: NULLs never collide in the unique constraint, so one
    # plain unique index serves both the check and the look-up of a retry.
    idempotency_client = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)
    body_hash = models.CharField(max_length=64, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("intake receipt")
        verbose_name_plural = _("intake receipts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_client", "idempotency_key"], name="receipt_idempotency_unique"
            )
        ]
        indexes = [models.Index(fields=["status", "id"], name="receipt_status_idx")]

    def __str__(self) -> str:
        return f"{self.tracking_code} ({self.get_status_display()})"


def _attachment_path(instance, filename: str) -> str:
    import secrets

    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
        instance.content_type, "bin"
    )
    return f"cases/{secrets.token_hex(2)}/{secrets.token_urlsafe(16)}.{ext}"


class CaseAttachment(models.Model):
    """A photo 现场照片 attached to a case, checked to be a real JPEG, PNG or WebP image."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    action = models.ForeignKey(
        CaseAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    content_type = models.CharField(max_length=16, choices=AttachmentKind.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    is_public = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.name


class Open311Client(models.Model):
    """An application allowed to post cases through Open311 GeoReport v2 (API key 接口密钥).
    Only a hash of the key is stored; the key itself is shown once when issued."""

    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class RollupCounters(models.Model):
    """The KPI counters shared by the daily and the monthly rollups (kpis.COUNTERS)."""

    received = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    responded_on_time = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    return_visits = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    basically = models.PositiveIntegerField(default=0)
    unsatisfied = models.PositiveIntegerField(default=0)
    settled_grid = models.PositiveIntegerField(default=0)
    settled_village = models.PositiveIntegerField(default=0)
    settled_town = models.PositiveIntegerField(default=0)
    settled_county = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class CaseDailyRollup(RollupCounters):
    """Counters of one grid for one day, kept by the services in the same transaction as the
    action they count, so that KPIs over any subtree and period are a sum over few rows."""

    grid = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=64, db_index=True)
    day = models.DateField()

    class Meta:
        verbose_name = _("case daily rollup")
        verbose_name_plural = _("case daily rollups")
        constraints = [
            models.UniqueConstraint(fields=["grid", "day"], name="case_rollup_unique"),
        ]
        indexes = [models.Index(fields=["area_path", "day"], name="case_rollup_path_day_idx")]


class CaseDurationRollup(models.Model):
    """A histogram of durations (hours from report to response, and to closure) of one grid
    for one day: `count` cases fell into bucket `bucket` (see kpis.DURATION_EDGES). Medians
    over any subtree and period come from summing these few rows, never from the case table."""

    class Measure(models.TextChoices):
        RESPOND = "respond", _("time to respond")
        CLOSE = "close", _("time to close")

    grid = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=64)
    day = models.DateField()
    measure = models.CharField(max_length=8, choices=Measure.choices)
    bucket = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case duration rollup")
        verbose_name_plural = _("case duration rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "day", "measure", "bucket"], name="case_duration_rollup_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["area_path", "day"], name="case_duration_path_day_idx"),
        ]


class CaseMonthlyRollup(RollupCounters):
    """The counters of CaseDailyRollup summed per month for every area above a case's grid and
    the grid itself (county, town, village, grid: one row each, `area_path` is the area's
    path and `depth` its depth), kept by the services in the same transaction as the daily
    rows. A county's quarter is then three rows and a ranking children × months. A row holds
    exactly the sum of the daily rows whose path starts with its path (see kpis.py); after a
    restructuring they are rebuilt from the daily rows."""

    area_path = models.CharField(max_length=64)
    depth = models.PositiveSmallIntegerField()
    month = models.DateField()

    class Meta:
        verbose_name = _("case monthly rollup")
        verbose_name_plural = _("case monthly rollups")
        constraints = [
            models.UniqueConstraint(fields=["area_path", "month"], name="case_monthly_unique"),
        ]
        indexes = [
            models.Index(fields=["depth", "area_path", "month"], name="case_monthly_depth_idx"),
        ]


class CaseMonthlyDurationRollup(models.Model):
    """CaseDurationRollup summed per month for every area above a grid and the grid itself."""

    area_path = models.CharField(max_length=64)
    depth = models.PositiveSmallIntegerField()
    month = models.DateField()
    measure = models.CharField(max_length=8, choices=CaseDurationRollup.Measure.choices)
    bucket = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case monthly duration rollup")
        verbose_name_plural = _("case monthly duration rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["area_path", "month", "measure", "bucket"],
                name="case_monthly_duration_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["depth", "area_path", "month"], name="case_monthly_dur_depth_idx"),
        ]


class Notification(models.Model):
    """An in-app notice 消息提醒 to a user about a case: assigned, transferred, escalated,
    dispatched, returned, reopened, overdue. SMS/WeChat copies go out through the pluggable
    senders of `wangge.cases.notify`."""

    # Indexed through (recipient, read_at) and (recipient, -created_at).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="case_notifications",
        db_index=False,
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notifications"
    )
    verb = models.CharField(_("event"), max_length=16, choices=NotificationVerb.choices)
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recent_idx"),
        ]

    def __str__(self) -> str:
        return self.text


def _rebuild_monthly_after_restructuring(sender, instance, created, **kwargs):
    """Moves and merges change which areas a grid's history counts for: the monthly rollups
    are rebuilt from the daily rows (their paths are rewritten by then) under the old and
    the new parent and above them up to their common ancestor; all of them when a parent is
    unknown."""
    if created and not kwargs.get("raw") and instance.kind in ("move", "merge"):
        from .kpis import rebuild_monthly_rollups

        parents = [instance.new_parent]
        if instance.kind == "move":
            parents.append(instance.old_parent)
        if all(p is not None for p in parents):
            rebuild_monthly_rollups(under=[p.path for p in parents])
        else:
            rebuild_monthly_rollups()


models.signals.post_save.connect(
    _rebuild_monthly_after_restructuring,
    sender="areas.AreaChange",
    dispatch_uid="cases_monthly_rollups_after_area_change",
)


def _demo_monthly_rollups(ctx) -> dict[str, int]:
    """Demo step after the cases (which write the daily rows in bulk): the monthly rows."""
    from .kpis import rebuild_monthly_rollups

    return {"cases.CaseMonthlyRollup": rebuild_monthly_rollups()}


def _register_demo_step() -> None:
    from wangge.demo.registry import register_step, wipe_on_reset

    register_step("cases_monthly_rollups", order=101)(_demo_monthly_rollups)
    wipe_on_reset(CaseMonthlyRollup)
    wipe_on_reset(CaseMonthlyDurationRollup)
    wipe_on_reset(IntakeReceipt)  # its cases go with the areas; so do their receipts


_register_demo_step()


def _categories_changed() -> None:
    from .services import categories_changed

    categories_changed()


generations.on_change(_categories_changed, Category, CategoryLimit)
