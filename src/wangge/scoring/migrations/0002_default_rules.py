from django.db import migrations


def forwards(apps, schema_editor):
    from wangge.scoring.rules import ensure_default_rules

    ensure_default_rules(apps.get_model("scoring", "PointRule"))


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
