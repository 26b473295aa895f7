"""Migration operations shared by the apps' migrations."""

from __future__ import annotations

from django.db import migrations


def drop_pattern_indexes(*indexes: tuple[str, str, str]) -> migrations.RunPython:
    """Drop PostgreSQL's `varchar_pattern_ops` copies of indexes, given as (name, table,
    column); reversed, they are made again. Django makes one beside the index of every unique
    or indexed CharField there (its name derived from the table and column, the same on every
    database); a column only looked up by equality needs none, and each is one more write per
    row. Nothing happens on other databases."""

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name, _table, _column in indexes:
                schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    def make(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name, table, column in indexes:
                schema_editor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column} varchar_pattern_ops)"
                )

    return migrations.RunPython(drop, make)
