"""`wangge serve`: the embedded mode in one command.

Migrates the database, loads the demo town when the database is empty, starts the background
task worker and serves the web UI with gunicorn, printing the URL and the demo logins.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


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
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")

    def handle(self, *args, port, host, workers, preset, no_demo, no_worker, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            "数据库已就绪 / database ready: %s" % settings.DATABASES["default"]["NAME"]
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
        if not no_worker and settings.TASK_BACKEND == "database":
            procs.append(
                subprocess.Popen([sys.executable, "-m", "wangge.cli", "db_worker"], env=env)
            )
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
        gunicorn = [
            sys.executable,
            "-m",
            "gunicorn",
            "wangge.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--timeout",
            "120",
        ]
        web = subprocess.Popen(gunicorn, env=env)
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
