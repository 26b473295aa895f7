"""`wangge scheduler`: enqueue the periodic tasks on the task backend at their intervals.

The tasks themselves run in the task worker (`wangge db_worker`, or RQ workers with
TASK_BACKEND=redis); this process only enqueues them, so several app servers can share one
scheduler. Each task is idempotent, so an extra run after a restart changes nothing.
Intervals come from settings.WANGGE_PERIODIC_TASKS: [(dotted path to a task, seconds), …].
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

log = logging.getLogger("wangge.scheduler")


class Command(BaseCommand):
    help = "Enqueue periodic tasks (deadline sweep, rollups) at their intervals."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue every task once and exit")

    def handle(self, *args, once: bool, **options):
        schedule = []
        for path, seconds in getattr(settings, "WANGGE_PERIODIC_TASKS", []):
            try:
                schedule.append([import_string(path), int(seconds), 0.0])
            except ImportError:
                log.warning("periodic task %s not found; skipped", path)
        if not schedule:
            self.stdout.write("no periodic tasks configured")
            return
        while True:
            now = time.monotonic()
            for entry in schedule:
                task, interval, last = entry
                if once or now - last >= interval:
                    try:
                        task.enqueue()
                    except Exception:  # noqa: BLE001 - keep scheduling the others
                        log.exception("could not enqueue %s", task)
                    entry[2] = now
            if once:
                self.stdout.write(f"enqueued {len(schedule)} task(s)")
                return
            time.sleep(5)
