"""The intake database (wangge.core.routers) and `migrate` over every database."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import migrate as django_migrate
from django.db import connections

from wangge.cases.models import Case, IntakeReceipt
from wangge.core import routers


def test_the_intake_database_exists_exactly_on_sqlite():
    on_sqlite = connections["default"].vendor == "sqlite"
    assert routers.separate() is on_sqlite
    if on_sqlite:
        main, intake = settings.DATABASES["default"], settings.DATABASES[routers.INTAKE]
        assert intake["ENGINE"] == main["ENGINE"] == "wangge.core.sqlite3"
        assert intake["OPTIONS"] == main["OPTIONS"]  # WAL, FULL, the same busy timeout
        assert intake["NAME"] != main["NAME"]


@pytest.mark.skipif(not routers.separate(), reason="PostgreSQL: one database")
def test_the_router_keeps_the_receipts_and_nothing_else_in_the_intake_database():
    r = routers.IntakeRouter()
    assert r.db_for_write(IntakeReceipt) == r.db_for_read(IntakeReceipt) == routers.INTAKE
    assert r.db_for_write(Case) is None  # the default
    assert r.allow_migrate(routers.INTAKE, "cases", model_name="intakereceipt") is True
    assert r.allow_migrate("default", "cases", model_name="intakereceipt") is False
    assert r.allow_migrate(routers.INTAKE, "cases", model_name="case") is False
    assert r.allow_migrate(routers.INTAKE, "cases") is False  # RunPython/RunSQL without hints
    assert r.allow_migrate(routers.INTAKE, "auth", model_name="permission") is False
    assert r.allow_migrate("default", "cases", model_name="case") is None
    assert r.allow_relation(IntakeReceipt(), Case()) is True
    assert r.allow_relation(Case(), Case()) is None


def test_migrate_without_database_migrates_every_database(monkeypatch):
    migrated = []

    def execute(self, *args, **options):
        migrated.append(options["database"])

    monkeypatch.setattr(django_migrate.Command, "execute", execute)
    call_command("migrate", verbosity=0)
    assert migrated == list(settings.DATABASES)
    assert migrated[0] == "default"
    migrated.clear()
    call_command("migrate", database="default", verbosity=0)  # as the test runner asks
    assert migrated == ["default"]
