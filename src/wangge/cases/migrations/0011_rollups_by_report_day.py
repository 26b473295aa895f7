# The KPI rollups count every step of a case on the day the case was reported (its period's
# cohort) instead of the day of the step (services._bump, kpis.recount): a period's rates say
# what became of the cases received in it and no longer exceed 100% when an earlier backlog
# is cleared. The rollups of an installation that has cases are rewritten from the timeline,
# with the app's own rebuild (kpis.rebuild_rollups, as `wangge case_rollups --rebuild`): the
# tables it writes are those of this migration's state.

from django.db import migrations


def rebuild(apps, schema_editor):
    if not apps.get_model("cases", "CaseAction").objects.exists():
        return
    from wangge.cases import kpis

    kpis.rebuild_rollups()


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0010_fewer_index_writes_at_intake"),
    ]

    operations = [
        migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=True),
    ]
