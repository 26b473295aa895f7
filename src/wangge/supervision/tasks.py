"""Background work of supervision. Tasks take ids and call services."""

from __future__ import annotations

from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from .choices import ProblemState
from .models import Problem


def sweep(now=None) -> dict:
    """Turn red and escalate one level up (督办) the open problems past their deadline, once
    per deadline. Safe to run twice: a second run finds nothing."""
    from . import services

    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = list(
        Problem.objects.filter(state=ProblemState.OPEN, deadline__lt=today)
        .filter(Q(overdue_for__isnull=True) | ~Q(overdue_for=F("deadline")))
        .values_list("pk", flat=True)
    )
    red = sum(1 for pk in ids if services.problem_mark_overdue(problem_id=pk, now=now))
    return {"overdue": red}


@task()
def sweep_problems() -> dict:
    """Periodic sweep of the problem list (every 15 minutes, see settings)."""
    return sweep()
