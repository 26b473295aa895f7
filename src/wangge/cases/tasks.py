"""Background work of the case loop. Tasks take ids and call services."""

from __future__ import annotations

from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from .choices import OPEN_STATES, WarningLevel
from .models import Case


def sweep(now=None) -> dict:
    """Mark yellow the open cases past 80% of their time, and turn red and escalate (once per
    overdue period) those past their deadline. Safe to run twice: a second run finds nothing."""
    from . import services

    now = now or timezone.now()
    open_cases = Case.objects.filter(state__in=OPEN_STATES)
    # Overdue and not yet escalated for this deadline (once per overdue period).
    overdue_ids = list(
        open_cases.filter(resolve_by__lte=now)
        .filter(Q(auto_escalated_for__isnull=True) | ~Q(auto_escalated_for=F("resolve_by")))
        .values_list("pk", flat=True)
    )
    red = sum(1 for pk in overdue_ids if services.case_escalate_overdue(case_id=pk, now=now))
    yellow_ids = list(
        open_cases.filter(
            warning=WarningLevel.NORMAL, warn_at__lte=now, resolve_by__gt=now
        ).values_list("pk", flat=True)
    )
    yellow = sum(1 for pk in yellow_ids if services.case_mark_yellow(case_id=pk, now=now))
    return {"yellow": yellow, "red": red}


@task()
def sweep_deadlines() -> dict:
    """Periodic deadline sweep (run every few minutes by `manage.py case_sweep` from cron)."""
    return sweep()


@task()
def send_notifications(notification_ids: list[int]) -> int:
    """Send the case notifications through the configured SMS/WeChat senders."""
    from .notify import deliver

    return deliver(notification_ids)
