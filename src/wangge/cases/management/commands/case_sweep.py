from django.core.management.base import BaseCommand

from wangge.cases.tasks import sweep, sweep_deadlines


class Command(BaseCommand):
    help = (
        "Deadline sweep of open cases: yellow at 80% of the time, red and escalation when "
        "overdue. Enqueues the task (for the worker) or, with --now, runs it here. Meant for "
        "cron or a systemd timer every few minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="run in this process")

    def handle(self, *args, **options):
        if options["now"]:
            result = sweep()
            self.stdout.write(f"yellow={result['yellow']} red={result['red']}")
        else:
            result = sweep_deadlines.enqueue()
            self.stdout.write(f"enqueued {result.id}")
