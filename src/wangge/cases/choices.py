from django.db import models
from django.utils.translation import gettext_lazy as _


class Urgency(models.TextChoices):
    """紧急程度. Urgent cases run on wall-clock time, the others on working hours."""

    NORMAL = "normal", _("normal")
    IMPORTANT = "important", _("important")
    URGENT = "urgent", _("urgent")


URGENCY_ORDER = {Urgency.URGENT: 0, Urgency.IMPORTANT: 1, Urgency.NORMAL: 2}


class Source(models.TextChoices):
    """Intake channel 来源渠道."""

    QR = "qr", _("QR code page")
    STAFF = "staff", _("staff form")
    PATROL = "patrol", _("patrol finding")
    HOTLINE = "hotline", _("hotline")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    SUPERVISION = "supervision", _("supervision finding")


# Channels where a member of the public reports: the phone number is required.
PUBLIC_SOURCES = {Source.QR, Source.OPEN311}


class CaseState(models.TextChoices):
    REPORTED = "reported", _("reported")
    ACCEPTED = "accepted", _("accepted")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")


OPEN_STATES = (CaseState.REPORTED, CaseState.ACCEPTED, CaseState.IN_PROGRESS)
FINAL_STATES = (CaseState.CLOSED, CaseState.REJECTED)


class Level(models.TextChoices):
    """三事分流: where a case is handled. Escalation goes up this ladder."""

    GRID = "grid", _("grid")
    VILLAGE = "village", _("village")
    TOWN = "town", _("town")
    COUNTY = "county", _("county")


LEVEL_ORDER = [Level.GRID, Level.VILLAGE, Level.TOWN, Level.COUNTY]
# Length of the area path prefix that names the area of each level (treebeard steplen 4).
LEVEL_PATH_LENGTH = {Level.COUNTY: 4, Level.TOWN: 8, Level.VILLAGE: 12, Level.GRID: 16}


class WarningLevel(models.TextChoices):
    NORMAL = "normal", _("normal")
    YELLOW = "yellow", _("yellow warning")
    RED = "red", _("red: overdue")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY = "basically", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class Verb(models.TextChoices):
    REPORT = "report", _("reported")
    ACCEPT = "accept", _("accepted")
    NOTE = "note", _("note")
    REQUEST_HELP = "request_help", _("requested help")
    ESCALATE = "escalate", _("escalated")
    AUTO_ESCALATE = "auto_escalate", _("escalated automatically (overdue)")
    DISPATCH = "dispatch", _("dispatched to a department")
    REPORT_IN = "report_in", _("department reported in")
    RETURN_FROM_DEPARTMENT = "return_from_department", _("returned by the department")
    TRANSFER = "transfer", _("transferred")
    MERGE = "merge", _("merged as a duplicate")
    REJECT = "reject", _("rejected")
    RESOLVE = "resolve", _("resolved")
    RETURN_VISIT = "return_visit", _("return visit")
    REOPEN = "reopen", _("reopened")
    CLOSE = "close", _("closed")
    RATE_PUBLIC = "rate_public", _("rated by the reporter")
    WARN = "warn", _("deadline warning")


class ReceiptStatus(models.TextChoices):
    """Where an acknowledged report 受理回执 stands on its way into the case loop."""

    PENDING = "pending", _("received, being assigned")
    DONE = "done", _("taken into the case loop")
    FAILED = "failed", _("could not be taken in (see the error; retried by an administrator)")


class AttachmentKind(models.TextChoices):
    JPEG = "image/jpeg", "JPEG"
    PNG = "image/png", "PNG"
    WEBP = "image/webp", "WebP"


# Default limits (hours) per urgency when a category has none: (respond, resolve, working time).
DEFAULT_LIMITS = {
    Urgency.NORMAL: (8, 35, True),  # one working day to respond, five to resolve
    Urgency.IMPORTANT: (4, 21, True),
    Urgency.URGENT: (1, 24, False),
}

# Default categories (事件类型) installed by the data migration: (code, name, parent code,
# default urgency, default level, {urgency: (respond, resolve, working_time)} overrides).
DEFAULT_CATEGORIES = [
    ("dispute", "矛盾纠纷", None, Urgency.NORMAL, Level.GRID, {}),
    ("dispute_neighbour", "邻里纠纷", "dispute", Urgency.NORMAL, Level.GRID, {}),
    ("dispute_land", "土地纠纷", "dispute", Urgency.NORMAL, Level.VILLAGE, {}),
    ("dispute_family", "婚姻家庭纠纷", "dispute", Urgency.NORMAL, Level.GRID, {}),
    ("dispute_building", "宅基地建房纠纷", "dispute", Urgency.NORMAL, Level.VILLAGE, {}),
    ("dispute_demolition", "征地拆迁纠纷", "dispute", Urgency.IMPORTANT, Level.TOWN, {}),
    ("petition", "信访诉求", None, Urgency.IMPORTANT, Level.TOWN, {}),
    ("safety", "安全隐患", None, Urgency.IMPORTANT, Level.VILLAGE, {}),
    ("environment", "环境卫生", None, Urgency.NORMAL, Level.GRID, {}),
    (
        "straw_burning",
        "秸秆禁烧",
        None,
        Urgency.URGENT,
        Level.GRID,
        {Urgency.URGENT: (0.5, 4, False)},
    ),
    (
        "forest_fire",
        "森林防火",
        None,
        Urgency.URGENT,
        Level.VILLAGE,
        {Urgency.URGENT: (0.5, 4, False)},
    ),
    ("flood", "防汛抗旱", None, Urgency.URGENT, Level.VILLAGE, {Urgency.URGENT: (0.5, 12, False)}),
    ("epidemic", "疫情防控", None, Urgency.URGENT, Level.VILLAGE, {}),
    ("livelihood", "民生服务", None, Urgency.NORMAL, Level.GRID, {}),
    ("help_agency", "帮办代办", None, Urgency.NORMAL, Level.GRID, {}),
    ("consultation", "政策咨询", None, Urgency.NORMAL, Level.GRID, {Urgency.NORMAL: (4, 14, True)}),
    ("infrastructure", "基础设施", None, Urgency.NORMAL, Level.VILLAGE, {}),
    ("public_order", "社会治安", None, Urgency.IMPORTANT, Level.VILLAGE, {}),
    ("other", "其他", None, Urgency.NORMAL, Level.GRID, {}),
]


class NotificationVerb(models.TextChoices):
    """What a notification 消息提醒 is about."""

    ASSIGNED = "assigned", _("assigned to you")
    TRANSFERRED = "transferred", _("transferred to you")
    ESCALATED = "escalated", _("escalated to you")
    DISPATCHED = "dispatched", _("dispatched to your department")
    RETURNED = "returned", _("returned by the department")
    REOPENED = "reopened", _("reopened after an unsatisfied return visit")
    DUE_SOON = "due_soon", _("due soon")
    OVERDUE = "overdue", _("overdue")
