# The receipts of acknowledged reports move into the intake database on SQLite (issue 6; see
# wangge.core.routers): their user is named without a constraint across the two files, and an
# installation that kept them in the main file has them copied over.

import django.db.models.deletion
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, migrations, models

OLD_TABLE = "cases_intakereceipt"
KEPT_AS = "cases_intakereceipt_before_intake_db"


def move_receipts(apps, schema_editor):
    """Run on the intake database: the receipts still in the main database (pending ones
    included: the worker takes them in from here) are copied over, and the main database's
    table is renamed, not dropped (the copy stays until an administrator drops it)."""
    from wangge.core.routers import INTAKE

    if schema_editor.connection.alias != INTAKE:
        return
    main = connections[DEFAULT_DB_ALIAS]
    with main.cursor() as cursor:
        if OLD_TABLE not in main.introspection.table_names(cursor):
            return
        columns = [c.name for c in main.introspection.get_table_description(cursor, OLD_TABLE)]
        names = ", ".join(main.ops.quote_name(c) for c in columns)
        cursor.execute(f"SELECT {names} FROM {OLD_TABLE} ORDER BY id")
        rows = cursor.fetchall()
    if rows:
        marks = ", ".join(["%s"] * len(columns))
        with schema_editor.connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {OLD_TABLE} ({names}) VALUES ({marks})", rows)
    with main.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {OLD_TABLE} RENAME TO {KEPT_AS}")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0011_rollups_by_report_day'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='intakereceipt',
            name='actor',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='entered by'),
        ),
        migrations.RunPython(
            move_receipts, migrations.RunPython.noop, hints={"model_name": "intakereceipt"}
        ),
    ]
