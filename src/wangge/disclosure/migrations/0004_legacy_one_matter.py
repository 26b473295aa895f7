"""一事一议 now has its own template and plan (0003). A one-matter decision recorded before,
without a plan, went through the stages of 四议两公开 (discussed, reviewed): it keeps that road,
recorded as 四议两公开, so it can still be voted on and published."""

from django.db import migrations


def forwards(apps, schema_editor):
    Decision = apps.get_model("disclosure", "Decision")
    Decision.objects.filter(kind="one_matter", plan__isnull=True).update(kind="four")


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0003_one_matter_plan")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
