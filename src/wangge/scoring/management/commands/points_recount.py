"""`wangge points_recount [--apply] [--since YYYY-MM-DD]`: replay the source records through
the point rules and report missing, extra and orphan ledger entries; --apply writes the
missing ones (idempotent)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from wangge.scoring.recount import recount


class Command(BaseCommand):
    help = "Check the point ledger against the source records; --apply writes what is missing."

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="write the missing entries")
        parser.add_argument("--since", help="only sources from this day on (YYYY-MM-DD)")
        parser.add_argument("--show", type=int, default=10, help="list this many of each kind")

    def handle(self, *args, apply=False, since=None, show=10, **options):
        day = None
        if since:
            try:
                day = dt.date.fromisoformat(since)
            except ValueError:
                raise CommandError("--since: give a date as YYYY-MM-DD") from None
        result = recount(apply=apply, since=day)
        s = result.summary()
        self.stdout.write(
            f"expected {s['expected']} · in the ledger {s['existing']} · missing {s['missing']}"
            f" · extra {s['extra']} · orphans {s['orphans']}"
            + (f" · written {s['written']}" if apply else "")
        )
        for e in result.missing[:show]:
            self.stdout.write(
                f"  missing: {e.rule.code} {e.subject_kind}:{e.subject_id} "
                f"{e.source_type}:{e.source_id} {e.event_day} {e.points:+}"
            )
        for k in result.extra[:show]:
            self.stdout.write(f"  extra: rule {k[0]} {k[1]}:{k[2]} {k[3]}:{k[4]}")
        for pk, stype, sid in result.orphans[:show]:
            self.stdout.write(f"  orphan: entry {pk} → {stype}:{sid} does not exist")
        if (result.extra or result.orphans) and not apply:
            self.stdout.write("Correct extra and orphan entries with reversing entries.")
