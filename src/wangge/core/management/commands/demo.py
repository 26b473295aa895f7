"""`wangge demo --preset tiny|town|county [--seed N] [--reset] [--cases N]`: build demo data."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Build demo data: tiny (6 grids), town (程集镇: 8 villages, 232 grids, 374 posts, "
        "~3,000 households) or county (科右前旗: 850 grids, 50,000 households). Every demo "
        "login has the password wangge-demo-2026."
    )

    def add_arguments(self, parser):
        from wangge.demo import PRESETS

        parser.add_argument("--preset", choices=sorted(PRESETS), default="town")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="wipe the existing areas, users, households (and what hangs off them) first",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=None,
            metavar="N",
            help="number of cases over the last 12 months (default: tiny 120, town 5,000, "
            "county 200,000; --cases 1000000 for the benchmarks)",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="check the data afterwards (tree, tiling, households in grids, ID numbers)",
        )

    def handle(self, *args, preset, seed, reset, verify, cases, **options):
        import time

        from wangge import demo
        from wangge.demo.checks import verify as run_checks

        try:
            if cases is not None and cases < 0:
                raise CommandError("--cases must be 0 or more")
            step_options = {} if cases is None else {"cases": cases}
            demo.build(
                preset=preset, seed=seed, stdout=self.stdout, reset=reset, options=step_options
            )
        except demo.DemoDataExists as exc:
            raise CommandError(str(exc)) from exc
        if verify:
            started = time.monotonic()
            problems = run_checks()
            for problem in problems:
                self.stderr.write(problem)
            if problems:
                raise CommandError("%d consistency problems" % len(problems))
            self.stdout.write(
                self.style.SUCCESS("检查通过 / verified in %.1f s" % (time.monotonic() - started))
            )
