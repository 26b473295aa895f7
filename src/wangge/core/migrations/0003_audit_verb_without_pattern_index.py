# The audit log's verb is looked up by equality (the admin's filter): PostgreSQL's
# pattern-matching copy of its index is one more index write per audit row — one per report
# taken in — that no query uses.

from django.db import migrations

from wangge.core.migration_ops import drop_pattern_indexes


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_generation"),
    ]

    operations = [
        drop_pattern_indexes(("core_auditentry_verb_62a1293c_like", "core_auditentry", "verb"))
    ]
