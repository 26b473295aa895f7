# Fewer index writes per report taken in (issue 6): each new case wrote an entry into an index
# of keys that a new case never has (its department, household and the case it was merged
# into are NULL), and into PostgreSQL's pattern-matching copies of the unique indexes of the
# case number and the tracking codes, which no query uses (look-ups by number and code are by
# equality; the admin's search by number is a case-insensitive "contains", which no b-tree
# serves).

import django.db.models.deletion
from django.db import migrations, models

from wangge.core.migration_ops import drop_pattern_indexes


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_fewer_index_writes'),
        ('people', '0002_default_tags'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_department_state_idx',
        ),
        # The foreign keys change to db_index=False; the database only drops their indexes
        # (by their generated names): AlterField would rebuild the case table on SQLite.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='case',
                    name='household',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='cases', to='people.household', verbose_name='household'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='merged_into',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='duplicates', to='cases.case', verbose_name='merged into'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX {name} ON cases_case ({column})",
                )
                for name, column in [
                    ("cases_case_household_id_6af055ee", "household_id"),
                    ("cases_case_merged_into_id_1b4320d8", "merged_into_id"),
                ]
            ],
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('department__isnull', False)), fields=['department', 'state'], name='case_department_state_idx'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('household__isnull', False)), fields=['household'], name='case_household_idx'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('merged_into__isnull', False)), fields=['merged_into'], name='case_merged_into_idx'),
        ),
        drop_pattern_indexes(
            ("cases_case_number_980c9551_like", "cases_case", "number"),
            ("cases_case_tracking_code_86c901a2_like", "cases_case", "tracking_code"),
            (
                "cases_intakereceipt_tracking_code_857f677f_like",
                "cases_intakereceipt",
                "tracking_code",
            ),
        ),
    ]
