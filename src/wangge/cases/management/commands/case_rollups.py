from django.core.management.base import BaseCommand, CommandError

from wangge.cases import kpis


class Command(BaseCommand):
    help = (
        "Check that the KPI rollups equal a recount from the case timeline (the truth); with "
        "--rebuild, rewrite them from the timeline (after a data repair or an import that "
        "bypassed the services). --monthly rewrites only the monthly rollups from the daily "
        "ones (for an installation upgraded from daily-only rollups)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="rewrite the rollups")
        parser.add_argument(
            "--monthly", action="store_true", help="rewrite the monthly rollups from the daily"
        )

    def handle(self, *args, **options):
        if options["monthly"]:
            rows = kpis.rebuild_monthly_rollups()
            self.stdout.write(f"rebuilt {rows} monthly rollup row(s)")
            return
        if options["rebuild"]:
            rows = kpis.rebuild_rollups()
            self.stdout.write(f"rebuilt {rows} daily rollup row(s)")
            return
        stored, counted = kpis.stored(), kpis.recount()
        counted = {k: v for k, v in counted.items() if any(v.values())}
        bad = sorted(
            set(stored) ^ set(counted) | {k for k in stored if counted.get(k) != stored[k]}
        )
        durations_ok = kpis.stored_durations() == kpis.recount_durations()
        monthly_ok = kpis.stored_monthly() == kpis.monthly_from_daily()
        if not monthly_ok:
            raise CommandError("the monthly rollups differ from the daily ones: run with --monthly")
        if bad or not durations_ok:
            for grid, day in bad[:20]:
                self.stderr.write(f"grid {grid} {day}: stored {stored.get((grid, day))}")
                self.stderr.write(f"{'':>{len(str(grid)) + 16}}counted {counted.get((grid, day))}")
            raise CommandError(
                f"{len(bad)} daily row(s) differ; durations "
                f"{'agree' if durations_ok else 'differ'}: run with --rebuild"
            )
        self.stdout.write(f"rollups agree with the timeline ({len(stored)} daily row(s))")
