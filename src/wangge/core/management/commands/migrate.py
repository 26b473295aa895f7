"""`migrate` without --database migrates every database of the installation: the main one,
then, on SQLite, the intake database of the receipts (wangge.core.routers). With --database,
Django's own behaviour (the test runner migrates each test database so)."""

from django.conf import settings
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS


class Command(migrate.Command):
    help = migrate.Command.help + " Without --database: every configured database."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=None)

    def execute(self, *args, **options):
        if options.get("database"):
            return super().execute(*args, **options)
        aliases = [DEFAULT_DB_ALIAS, *(a for a in settings.DATABASES if a != DEFAULT_DB_ALIAS)]
        for alias in aliases:
            if options.get("verbosity", 1) >= 1 and len(aliases) > 1:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Database {alias}:"))
            super().execute(*args, **{**options, "database": alias})
