"""`wangge export households|residents|areas -o FILE.xlsx [--user NAME] [--area CODE]`.

Exports what the user can see (everything for the system when no user is given), limited to
an area's subtree with --area. ID numbers are masked; the export is audited."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from .wangge_import import resolve_user


class Command(BaseCommand):
    help = "Export areas, households or residents as .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=("areas", "households", "residents"))
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
        parser.add_argument("--user", help="export what this user can see; default: everything")
        parser.add_argument("--area", help="only this area's subtree (area code)")

    def handle(self, *args, kind, output, user, area, **options):
        from wangge.accounts.choices import Capability
        from wangge.accounts.selectors import user_scope
        from wangge.areas.exports import export_areas
        from wangge.areas.models import Area
        from wangge.people.exports import export_households, export_residents

        actor = resolve_user(user)
        if actor is not None and user_scope(actor, Capability.EXPORT).is_empty:
            raise CommandError(f"{actor.username} may not export")
        within = None
        if area:
            within = Area.objects.filter(code=area).first()
            if within is None:
                raise CommandError(f"no area with code {area}")
        run = {
            "areas": export_areas,
            "households": export_households,
            "residents": export_residents,
        }[kind]
        path = Path(output)
        if path.suffix.lower() != ".xlsx":
            raise CommandError("the output file must end in .xlsx")
        tmp = path.with_name(path.name + ".part")
        with tmp.open("wb") as out:
            n = run(user=actor, out=out, within=within)
        tmp.replace(path)
        self.stdout.write(self.style.SUCCESS(f"{path}: {n} rows"))
