"""The indexes a new case writes into (migration 0010): no entry for a key a new case does not
have, no pattern-matching copies of the unique indexes on PostgreSQL — and the look-ups those
indexes serve still use them."""

import pytest
from django.db import connection

from wangge.cases.models import Case, IntakeReceipt
from wangge.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _index_definitions(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
        return dict(cursor.fetchall())


@pytest.mark.parametrize(
    "name, column",
    [
        ("case_household_idx", "household_id"),
        ("case_merged_into_idx", "merged_into_id"),
        ("case_department_state_idx", "department_id"),
    ],
)
def test_keys_a_new_case_lacks_are_indexed_only_where_set(name, column):
    definitions = _index_definitions(Case._meta.db_table)
    assert f"{column} IS NOT NULL" in definitions[name].replace('"', "")
    # ...and that is the only index on that key.
    assert [n for n, d in definitions.items() if f"({column}" in d.replace('"', "")] == [name]


@pytest.mark.parametrize(
    "lookup, name",
    [
        ({"household_id": 7}, "case_household_idx"),
        ({"merged_into_id": 7}, "case_merged_into_idx"),
        ({"department_id": 7, "state": "reported"}, "case_department_state_idx"),
    ],
)
def test_a_look_up_by_key_uses_the_partial_index(lookup, name):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Whether the index can serve the look-up, not what it would cost on a test table
            # (unordered: the planner may otherwise walk the report-time index for the order).
            cursor.execute("SET LOCAL enable_seqscan = off")
    assert name in Case.objects.filter(**lookup).order_by().explain()


def test_no_pattern_copies_of_the_unique_indexes():
    for model in (Case, IntakeReceipt, AuditEntry):
        definitions = _index_definitions(model._meta.db_table)
        assert not [n for n, d in definitions.items() if "pattern_ops" in d], model
    # The unique indexes themselves stay.
    case_indexes = " ".join(_index_definitions(Case._meta.db_table).values())
    if connection.vendor == "postgresql":
        assert "UNIQUE INDEX cases_case_number_key" in case_indexes
        assert "UNIQUE INDEX cases_case_tracking_code_key" in case_indexes
