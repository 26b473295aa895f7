"""Background work of fieldwork. Tasks take ids and call services."""

from __future__ import annotations

from django_tasks import task


@task()
def close_days() -> dict:
    """Hourly (settings.WANGGE_PERIODIC_TASKS): finalise yesterday's daily reports, and any
    earlier day that was missed, with each worker's compliance. Idempotent."""
    from . import services

    return services.close_days()
