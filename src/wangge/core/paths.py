"""Denormalized area paths.

Rows that belong to an area (households, residents, cases…) carry a copy of the area's
materialized path in an indexed `area_path` column so that "everything in this subtree" is a
single-table prefix scan. When the area tree is restructured the copies are rewritten here, in
the same transaction as the move.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Length, Substr

_DEPENDENTS: list[tuple[type[models.Model], str]] = []


def register_path_dependent(model: type[models.Model], field: str = "area_path") -> None:
    if (model, field) not in _DEPENDENTS:
        _DEPENDENTS.append((model, field))


def rewrite_path_prefix(old_prefix: str, new_prefix: str) -> int:
    """Replace `old_prefix` by `new_prefix` at the start of every registered path column."""
    if old_prefix == new_prefix:
        return 0
    total = 0
    for model, field in _DEPENDENTS:
        total += model.objects.filter(**{f"{field}__startswith": old_prefix}).update(
            **{field: Concat(Value(new_prefix), Substr(field, Length(Value(old_prefix)) + 1))}
        )
    return total
