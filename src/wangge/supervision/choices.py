from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PeriodKind(models.TextChoices):
    """How often a supervision item 督导事项 comes round: 月度督查, 季度督查."""

    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("quarterly")


class Check(models.TextChoices):
    """What an inspection looked at (the checklist of 督导检查)."""

    REPORTS_HEARD = "reports_heard", _("reports heard")
    LEDGERS_CHECKED = "ledgers_checked", _("ledgers checked")
    PEOPLE_AT_POST = "people_at_post", _("people at their post")
    SITE_VISITED = "site_visited", _("site visited")
    RESIDENTS_ASKED = "residents_asked", _("residents asked")


class ProblemState(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem", "open")
    RECTIFIED = "rectified", _("rectified")
    VERIFIED = "verified", _("verified")
    CROSSED_OFF = "crossed_off", _("crossed off")


# Problems still waiting for the responsible person or the supervisor.
PENDING_STATES = (ProblemState.OPEN, ProblemState.RECTIFIED, ProblemState.VERIFIED)


class Verb(models.TextChoices):
    """One step of a problem's timeline."""

    CREATE = "create", _("found")
    FOLLOW_UP = "follow_up", _("follow-up")
    REMIND = "remind", _("reminder")
    DEADLINE = "deadline", _("deadline changed")
    RECTIFY = "rectify", _("rectified")
    VERIFY = "verify", _("verified")
    REJECT = "reject", _("sent back")
    CROSS_OFF = "cross_off", _("crossed off")
    OVERDUE = "overdue", _("overdue, escalated")
    TO_CASE = "to_case", _("pushed into the case loop")


class BulletinKind(models.TextChoices):
    """通报: every two weeks 双周通报 and every quarter 季度通报."""

    BIWEEKLY = "biweekly", _("bi-weekly")
    QUARTERLY = "quarterly", pgettext_lazy("bulletin", "quarterly")


class BulletinState(models.TextChoices):
    DRAFT = "draft", _("draft")
    REVIEWED = "reviewed", _("reviewed")
    PUBLISHED = "published", pgettext_lazy("bulletin", "published")
