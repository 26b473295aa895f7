"""`wangge import areas|households|residents FILE [--user NAME]` and
`wangge import list FILE --source civil_affairs --tag dibao [--user NAME]`.

The same all-or-nothing imports as the web page. Without --user the import runs as the system
(no scope limit). Problems are printed by row and column and the exit status is 1."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from wangge.core.errors import DomainError

KINDS = ("areas", "households", "residents", "list")


def resolve_user(username: str | None):
    if not username:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}")
    return user


class Command(BaseCommand):
    help = "Import areas, households, residents or a department list from .xlsx or .csv."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--user", help="act as this user (scope and audit); default: system")
        parser.add_argument(
            "--source",
            help="department list source: civil_affairs, medical_insurance, "
            "disabled_federation or other",
        )
        parser.add_argument("--tag", help="department list: tag code or name to apply")
        parser.add_argument("--language", default=None, help="language of messages (zh-hans, en)")

    def handle(self, *args, kind, file, user, source, tag, language, **options):
        if language:
            translation.activate(language)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        actor = resolve_user(user)
        try:
            with path.open("rb") as fh:
                if kind == "list":
                    result = self._list(actor, fh, path.name, source, tag)
                else:
                    from wangge.areas.imports import import_areas
                    from wangge.people.imports import import_households, import_residents

                    run = {
                        "areas": import_areas,
                        "households": import_households,
                        "residents": import_residents,
                    }[kind]
                    result = run(actor=actor, upload=fh, file_name=path.name)
        except DomainError as exc:
            raise CommandError(str(exc.message))
        if not result.ok:
            for line in result.error_lines():
                self.stderr.write(line)
            raise CommandError(
                f"{result.error_count} problem(s) in {path.name}; nothing was imported."
            )
        summary = ", ".join(f"{k}={v}" for k, v in result.created.items())
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {result.rows} rows, {summary}"))

    def _list(self, actor, fh, name, source, tag_value):
        from wangge.people.choices import ListSource
        from wangge.people.imports import import_department_list, tag_for_list

        if source not in ListSource.values:
            raise CommandError("--source must be one of: " + ", ".join(ListSource.values))
        tag = tag_for_list(tag_value or "")
        if tag is None:
            raise CommandError(f"unknown tag {tag_value!r}")
        record, result = import_department_list(
            actor=actor, upload=fh, source=source, tag=tag, file_name=name
        )
        if record is not None:
            self.stdout.write(f"report: list import #{record.pk}")
            for entry in record.report:
                if entry["status"] != "matched":
                    self.stdout.write(
                        f"  {entry['row']}\t{entry['status']}\t{entry.get('name', '')}"
                        f"\t{entry.get('id_number', '')}"
                    )
        return result
