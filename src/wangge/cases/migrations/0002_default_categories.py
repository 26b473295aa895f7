from decimal import Decimal

from django.db import migrations


def add_default_categories(apps, schema_editor):
    from wangge.cases.choices import DEFAULT_CATEGORIES

    Category = apps.get_model("cases", "Category")
    CategoryLimit = apps.get_model("cases", "CategoryLimit")
    by_code = {}
    for order, (code, name, parent, urgency, level, limits) in enumerate(DEFAULT_CATEGORIES):
        category, _ = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": by_code.get(parent),
                "default_urgency": urgency,
                "default_level": level,
                "sort_order": order * 10,
            },
        )
        by_code[code] = category
        for tier, (respond, resolve, working) in limits.items():
            CategoryLimit.objects.get_or_create(
                category=category,
                urgency=tier,
                defaults={
                    "response_hours": Decimal(str(respond)),
                    "resolve_hours": Decimal(str(resolve)),
                    "working_time": working,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(add_default_categories, migrations.RunPython.noop)]
