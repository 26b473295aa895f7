"""Filter building blocks shared by the apps' FilterSets (web lists and the API)."""

from __future__ import annotations

import django_filters
from django import forms

# Primary keys are 64-bit; a larger number can match nothing, and some databases (SQLite)
# raise OverflowError on it instead of answering "no rows".
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """Filter on an object id: a whole number in the database's id range, anything else is a
    validation error (400), never a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
