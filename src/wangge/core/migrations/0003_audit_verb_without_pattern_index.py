# The audit log's verb is looked up by equality (the admin's filter): PostgreSQL's
# pattern-matching copy of its index (Django makes one for every indexed CharField there) is
# one more index write per audit row — one per report taken in — that no query uses.

from django.db import migrations

_NAME = "core_auditentry_verb_62a1293c_like"


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {_NAME}")


def _make(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_NAME} ON core_auditentry (verb varchar_pattern_ops)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_generation"),
    ]

    operations = [migrations.RunPython(_drop, _make)]
