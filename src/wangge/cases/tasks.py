"""Background work of the case loop. Tasks take ids and call services."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time

from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus

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


# How long the intake worker takes in receipts before it hands the worker back to the other
# tasks (and asks for itself again if some are left).
INTAKE_RUN_SECONDS = 5.0
# Receipts acknowledged within one window of this length are taken in by one run, started at
# the end of the window: under load a run finds hundreds of receipts (a batch costs a few
# statements whatever its size), and a single report waits a fraction of a second plus the
# worker's poll (WANGGE_WORKER_INTERVAL) before it has its case number and handler.
INTAKE_WINDOW_SECONDS = float(os.environ.get("WANGGE_INTAKE_WINDOW", "0.5"))

_window_lock = threading.Lock()
_last_window = -1


def enqueue_intake_processing() -> None:
    """Ask for a run of process_intake once per window (called when a receipt commits): once
    per process, and with the database queue once for all of them. The run starts no earlier
    than the window's end, when every receipt of the window whose request asked within it has
    committed; the scheduler's periodic run picks up whatever a lost request could leave
    behind."""
    global _last_window
    now = time.time()
    window = int(now / INTAKE_WINDOW_SECONDS)
    with _window_lock:
        if window == _last_window:
            return
        _last_window = window
    run_after = None
    backend = process_intake.get_backend()
    if backend.supports_defer and not type(backend).__module__.startswith("django_tasks_rq"):
        # (RQ runs deferred jobs only with a scheduler process; an immediate job is as good.)
        run_after = dt.datetime.fromtimestamp((window + 1) * INTAKE_WINDOW_SECONDS, tz=dt.UTC)
    try:
        if run_after and _waiting_run(backend, run_after):
            return
        (process_intake.using(run_after=run_after) if run_after else process_intake).enqueue()
    except Exception:  # noqa: BLE001 - the receipt is safe; the periodic run takes it in
        logging.getLogger(__name__).exception("could not ask for the intake worker")


def _waiting_run(backend, run_after) -> bool:
    """Whether a run of process_intake for the same window end already waits in the
    database queue (another web worker asked for it): every web worker asks once per window,
    and a second run at the same moment would only take in the few receipts that committed
    while the first one ran, for the cost of a whole batch. One look at the waiting tasks
    (an index holds only those). Other backends: False."""
    if not type(backend).__module__.startswith("django_tasks_db"):
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=process_intake.module_path, run_after=run_after
    ).exists()


# While a burst of reports goes on, a run that has taken in a partial batch looks at the
# pending receipts this often rather than ending: it takes them in as soon as a whole batch
# is waiting, or as soon as a look finds no new one (the burst is over), or a window after
# the last batch (a steady trickle). The last reports of a burst are cases a moment after
# their answer instead of after the next window's end and the worker's poll; a look is one
# query on the index of the pending receipts.
INTAKE_FOLLOW_SECONDS = float(os.environ.get("WANGGE_INTAKE_FOLLOW", "0.02"))


def _pending_head(limit: int) -> tuple[int, int | None]:
    """(how many receipts are pending, up to `limit`; the id of the newest of those)."""
    from .choices import ReceiptStatus
    from .models import IntakeReceipt

    ids = list(
        IntakeReceipt.objects.filter(status=ReceiptStatus.PENDING)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return len(ids), (ids[-1] if ids else None)


def _follow_burst(limit: int, stop_at: float) -> bool:
    """After a partial batch: wait while reports keep arriving. True when a batch should be
    taken in now (a whole one waits, none came since the last look, or a window has passed),
    False when none is pending (the burst is over: the run ends)."""
    deadline = min(time.monotonic() + INTAKE_WINDOW_SECONDS, stop_at)
    newest = None
    while True:
        time.sleep(INTAKE_FOLLOW_SECONDS)
        count, top = _pending_head(limit)
        if count == 0:
            return False
        if count >= limit or top == newest or time.monotonic() >= deadline:
            return True
        newest = top


@task()
def process_intake() -> int:
    """Take pending intake receipts into the case loop (services.intake_process), in batches,
    for a few seconds at most (then another run is asked for if some are left). A whole
    batch is followed by the next at once; after a partial one the run follows the burst
    (_follow_burst) and ends when no report came. Periodic as well (a safety net)."""
    from . import services
    from .choices import ReceiptStatus
    from .models import IntakeReceipt

    taken = 0
    stop_at = time.monotonic() + INTAKE_RUN_SECONDS
    while time.monotonic() < stop_at:
        n = services.intake_process(limit=services.INTAKE_BATCH)
        taken += n
        if n == 0:
            return taken
        if n < services.INTAKE_BATCH and not _follow_burst(services.INTAKE_BATCH, stop_at):
            return taken
    if IntakeReceipt.objects.filter(status=ReceiptStatus.PENDING).exists():
        process_intake.enqueue()
    return taken


@task()
def prune_receipts() -> int:
    """Daily: the receipts of reports taken in long ago go (services.receipts_prune)."""
    from . import services

    return services.receipts_prune()
