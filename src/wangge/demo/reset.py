"""Wiping the demo data (`wangge demo --reset`).

Everything that hangs off the territory tree or the users goes: the areas, the users, and
every row that points at them through a required foreign key, and so on transitively (posts,
households, residents, cases and their actions, tokens, sessions …). A row that points at
them only through an optional foreign key (a case category's default department) stays, with
the pointer cleared. Reference data with no such link (tags, categories seeded by
migrations) stays as it is.

The rows are deleted with one DELETE per table inside one transaction: foreign keys are
checked at commit (Django creates them DEFERRABLE INITIALLY DEFERRED on SQLite and
PostgreSQL), so the order does not matter and PROTECT does not get in the way, and 150,000
residents go in a second instead of through the ORM's collector.
"""

from __future__ import annotations

import contextlib

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, models, router, transaction

from . import registry

# Demo data that has no required link to an area or a user. The generations go too: every
# process then finds its in-memory copies (posts, roster, grid index, tokens) out of date.
ALWAYS_WIPE = {"core.AuditEntry", "sessions.Session", "admin.LogEntry", "core.Generation"}


def _models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]


def plan() -> tuple[list[type[models.Model]], list[tuple[type[models.Model], str]]]:
    """(models to empty, (model, field) pairs to set to NULL)."""
    from wangge.areas.models import Area

    labels = {Area._meta.label, get_user_model()._meta.label}
    labels |= (ALWAYS_WIPE | registry.WIPE_ON_RESET) & {m._meta.label for m in _models()}
    labels -= registry.KEEP_ON_RESET
    changed = True
    while changed:
        changed = False
        for model in _models():
            label = model._meta.label
            if label in labels or label in registry.KEEP_ON_RESET:
                continue
            for f in model._meta.concrete_fields:
                if f.is_relation:
                    if f.related_model._meta.label in labels and not f.null:
                        labels.add(label)
                        changed = True
                        break
    wipe = [m for m in _models() if m._meta.label in labels]
    null = []
    for model in _models():
        if model._meta.label in labels:
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and f.null and f.related_model._meta.label in labels:
                null.append((model, f.name))
    return wipe, null


def wipe() -> dict[str, int]:
    """Delete the demo data; return the number of rows deleted per model label."""
    from wangge.areas import geo

    to_wipe, to_null = plan()
    deleted: dict[str, int] = {}
    # (Each model in its database: on SQLite the receipts are in the intake database.)
    aliases = sorted({DEFAULT_DB_ALIAS, *(router.db_for_write(m) for m in to_wipe)})
    with contextlib.ExitStack() as stack:
        for alias in aliases:
            stack.enter_context(transaction.atomic(using=alias))
        for model, field_name in to_null:
            model._base_manager.filter(**{f"{field_name}__isnull": False}).update(
                **{field_name: None}
            )
        for model in to_wipe:
            connection = connections[router.db_for_write(model)]
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM %s" % connection.ops.quote_name(model._meta.db_table))
                if cursor.rowcount:
                    deleted[model._meta.label] = cursor.rowcount
    from wangge.core import generations

    generations.forget()
    geo.bump_version()
    return deleted


def existing_data() -> dict[str, int]:
    """Counts of the rows that make a database 'not empty' for the demo builder."""
    from wangge.accounts.models import User
    from wangge.areas.models import Area
    from wangge.people.models import Household

    counts = {
        "areas": Area.objects.count(),
        "users": User.objects.count(),
        "households": Household.objects.count(),
    }
    return {k: v for k, v in counts.items() if v}
