from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectKind(models.TextChoices):
    """Who or what earns points: a person with an account (grid worker, grid chief, 五老 …),
    a party member, a village, a party branch."""

    USER = "user", _("grid worker")
    MEMBER = "member", _("party member")
    VILLAGE = "village", _("village")
    BRANCH = "branch", _("party branch")


class Trigger(models.TextChoices):
    MANUAL = "manual", _("manual")
    AUTOMATIC = "automatic", _("automatic")


class CapPeriod(models.TextChoices):
    NONE = "", _("no cap")
    MONTH = "month", _("per month")
    QUARTER = "quarter", _("per quarter")
    YEAR = "year", _("per year")


class PeriodKind(models.TextChoices):
    """The assessment periods of the seeds: 月度督查、季度通报、半年考评、年度考核."""

    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    HALF = "half", _("half-year")
    YEAR = "year", _("year")


class AssessmentState(models.TextChoices):
    FINAL = "final", _("final")
    REOPENED = "reopened", _("reopened")


class BundleKind(models.TextChoices):
    """捆绑奖惩: who shares a village's result (驻村点长与村(居)书记、镇级网格长与村居"两委"成员)."""

    STATIONED_CADRE = "stationed_cadre", _("stationed village cadre (驻村点长)")
    SECRETARY = "secretary", _("village secretary")
    TOWN_GRID_CHIEF = "town_grid_chief", _("town grid chief")
    COMMITTEE = "committee", _("village committee member (两委成员)")


# The events a rule can be triggered by: (trigger code, label). Each names one condition on a
# domain event (see scoring.triggers) and the source record that the entry points to.
EVENT_LABELS = {
    "case.closed_on_time": _("case closed, resolved on time"),
    "case.overdue": _("case overdue"),
    "case.unsatisfied": _("unsatisfied return visit"),
    "party.need.claimed": _("need claimed"),
    "party.need.fulfilled": _("need fulfilled"),
    "party.meeting.attended": _("meeting attended"),
    "party.meeting.held": _("meeting held by the branch"),
    "fieldwork.patrol.finished": _("patrol done"),
    "fieldwork.visit.recorded": _("visit done"),
    "fieldwork.day.missed": _("daily norm missed"),
    "supervision.inspection.absent": _("inspection found people away from their post"),
    "supervision.problem.crossed_off": _("inspection problem crossed off"),
    "supervision.problem.overdue": _("inspection problem overdue"),
}
EVENT_CHOICES = [("", _("none (manual)"))] + list(EVENT_LABELS.items())
