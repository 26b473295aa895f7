from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import GRID_WORKER_ROLES, Role


class VisitKind(models.TextChoices):
    """The three kinds of household visit 三类走访 of the "2348" rule."""

    ACQUAINT = "acquaint", _("getting to know the family (认亲)")
    CALL_ON = "call_on", _("calling on the family (访亲)")
    HELP = "help", _("helping the family (帮亲)")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    CLOSED = "closed", _("closed")


# Who patrols 巡查: the grid workers, and the volunteers and five elders of a grid team.
PATROL_ROLES = (*GRID_WORKER_ROLES, Role.VOLUNTEER, Role.ELDER)

# The "2348" rule (seed 004): 每天巡逻2次, 做好3类走访任务, 完成4项工作, 每天工作不少于8小时.
DEFAULT_NORM = {"patrols": 2, "visit_kinds": 3, "tasks": 4, "hours": 8}
NORM_FIELDS = ("patrols", "visit_kinds", "tasks", "hours")
