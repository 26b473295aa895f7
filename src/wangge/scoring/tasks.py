"""Periodic work of the scoring app (enqueued hourly by the scheduler)."""

from __future__ import annotations

from django_tasks import task


@task()
def assess_periods() -> dict:
    """Assess every period that has ended (month, quarter, half-year, year) and is not yet
    assessed. Idempotent: a second run finds nothing to do and changes nothing."""
    from .services import assess_ended_periods

    return assess_ended_periods()
