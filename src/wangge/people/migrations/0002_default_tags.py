from django.db import migrations


def add_default_tags(apps, schema_editor):
    from wangge.people.choices import DEFAULT_TAGS

    Tag = apps.get_model("people", "Tag")
    for code, name, target, is_key in DEFAULT_TAGS:
        Tag.objects.get_or_create(code=code, defaults={"name": name, "target": target, "is_key": is_key})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(add_default_tags, migrations.RunPython.noop)]
