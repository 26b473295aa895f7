"""`wangge serve`: the embedded mode in one command.

Migrates the database, loads the demo town when the database is empty, starts the background
task worker and the scheduler of the periodic tasks, and serves the web UI with gunicorn,
printing the URL and the demo logins.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# How often the task worker looks for new tasks when it has none: an acknowledged report
# (受理回执) waits for this at most, after its intake window, before the intake worker routes
# it. A look is one indexed query: five a second cost nothing worth saving, and a phone has
# its case number (and the handler the case) 0.3 s sooner than with half a second.
WORKER_INTERVAL = os.environ.get("WANGGE_WORKER_INTERVAL", "0.2")


def worker_command() -> list[str]:
    """The background task worker (database backend), as `wangge serve` starts it."""
    return [sys.executable, "-m", "wangge.cli", "db_worker", "--interval", WORKER_INTERVAL]


def scheduler_command() -> list[str]:
    """The scheduler that enqueues the periodic tasks (settings.WANGGE_PERIODIC_TASKS)."""
    return [sys.executable, "-m", "wangge.cli", "scheduler"]


def web_command(host: str, port: int, workers: int, *, access_log: bool = True) -> list[str]:
    """The production web server, as `wangge serve` starts it: gunicorn, sync workers."""
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "wangge.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "120",
    ]
    return [*cmd, "--access-logfile", "-"] if access_log else [*cmd, "--log-level", "warning"]


class Command(BaseCommand):
    help = "Migrate, load demo data if the database is empty, and serve wangge."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        parser.add_argument("--preset", default=os.environ.get("WANGGE_DEMO_PRESET", "town"))
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the task worker and the scheduler",
        )

    def handle(self, *args, port, host, workers, preset, no_demo, no_worker, **options):
        call_command("migrate", interactive=False, verbosity=0)  # every database (core's migrate)
        self.stdout.write(
            "数据库已就绪 / database ready: %s"
            % " + ".join(str(db["NAME"]) for db in settings.DATABASES.values())
        )
        from wangge.areas.models import Area

        demo_loaded = False
        if not no_demo and not Area.objects.exists():
            self.stdout.write("正在生成演示数据 / building the demo %s …" % preset)
            from wangge import demo

            try:
                # The logins are printed once, under the URL below.
                demo.build(preset=preset, seed=1, stdout=self.stdout, print_logins=False)
                demo_loaded = True
            except demo.DemoDataExists as exc:
                self.stdout.write(f"演示数据未加载 / demo not loaded: {exc}")

        env = dict(os.environ, DJANGO_SETTINGS_MODULE="wangge.settings")
        procs: list[subprocess.Popen] = []
        if not no_worker:
            # The periodic tasks (deadline sweep, nightly closes, assessments, the intake safety
            # net) whatever the backend; the worker itself for the database backend (RQ
            # deployments run their own `rqworker`).
            procs.append(subprocess.Popen(scheduler_command(), env=env))
            if settings.TASK_BACKEND == "database":
                procs.append(subprocess.Popen(worker_command(), env=env))
        url = f"http://{host}:{port}"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"wangge 网格 → {url}"))
        try:
            from wangge import demo

            for line in demo.login_lines():
                self.stdout.write("  " + line)
        except (ImportError, AttributeError):
            pass
        if demo_loaded:
            self.stdout.write("")
        self.stdout.flush()
        web = subprocess.Popen(web_command(host, port, workers), env=env)
        procs.append(web)

        def stop(*_):
            for p in procs:
                if p.poll() is None:
                    p.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
