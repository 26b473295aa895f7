"""Plain `executemany` inserts for the largest demo tables.

`bulk_create` spends most of its time compiling one placeholder per value (150,000 residents
× 16 columns); a parameterised INSERT run with executemany skips that and is several times
faster on SQLite and PostgreSQL alike. The column list comes from the model, so a field
added later is filled with its default; values go through the backend's own adapters.
"""

from __future__ import annotations

from django.db import connection, models
from django.utils import timezone


class RowWriter:
    def __init__(self, model: type[models.Model], batch: int = 5000):
        self.model = model
        self.batch = batch
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        now = timezone.now()
        self.defaults = []
        self.convert = {}
        ops = connection.ops
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:  # the model default, "" for a text field without one, else None
                value = f.get_default()
            self.defaults.append(f.get_db_prep_save(value, connection))
            internal = f.get_internal_type()
            if internal == "DateField":
                self.convert[f.attname] = ops.adapt_datefield_value
            elif internal == "DateTimeField":
                self.convert[f.attname] = ops.adapt_datetimefield_value
        qn = ops.quote_name
        self.sql = "INSERT INTO %s (%s) VALUES (%s)" % (
            qn(model._meta.db_table),
            ", ".join(qn(f.column) for f in self.fields),
            ", ".join(["%s"] * len(self.fields)),
        )
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.rows: list[tuple] = []

    def add(self, **values) -> None:
        """Queue one row: values by attname (`household_id`, not `household`)."""
        row = list(self.defaults)
        index, convert = self.index, self.convert
        for name, value in values.items():
            conv = convert.get(name)
            row[index[name]] = conv(value) if conv is not None and value is not None else value
        self.rows.append(tuple(row))

    def flush(self) -> int:
        n = len(self.rows)
        with connection.cursor() as cursor:
            for i in range(0, n, self.batch):
                cursor.executemany(self.sql, self.rows[i : i + self.batch])
        self.rows = []
        return n


class TupleWriter:
    """The fastest path for millions of rows (the demo's cases and their timelines): rows are
    tuples in the order of `columns` (attnames; the primary key may be one of them), with
    values the caller has already made database-ready (see `epoch_converter`). PostgreSQL
    gets them through COPY, SQLite through executemany. Columns not listed are filled with
    the model's default, as RowWriter does."""

    def __init__(self, model: type[models.Model], columns: list[str], batch: int = 20000):
        self.model = model
        self.batch = batch
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise ValueError("unknown columns %s for %s" % (unknown, model._meta.label))
        rest = [
            f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key
        ]
        now = timezone.now()
        tail = []
        for f in rest:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            tail.append(f.get_db_prep_save(value, connection))
        self.tail = tuple(tail)
        self.fields = [by_attname[c] for c in columns] + rest
        qn = connection.ops.quote_name
        self.table = qn(model._meta.db_table)
        self.column_sql = ", ".join(qn(f.column) for f in self.fields)
        self.rows: list[tuple] = []
        self.written = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row + self.tail if self.tail else row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> int:
        rows, self.rows = self.rows, []
        if not rows:
            return 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {self.table} ({self.column_sql}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(self.fields))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({self.column_sql}) VALUES ({placeholders})", rows
                )
        self.written += len(rows)
        return len(rows)


def reset_sequences(*model_list: type[models.Model]) -> None:
    """After rows were written with explicit primary keys: move PostgreSQL's sequences past
    them (SQLite's AUTOINCREMENT follows by itself)."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def epoch_converter():
    """(seconds since the epoch → the database's datetime value, date → its date value), the
    same values Django's own adapters would produce, without a datetime per call on SQLite."""
    import datetime as dt

    utc = dt.UTC
    if connection.vendor == "sqlite":
        naive = dt.datetime(1970, 1, 1)
        delta = dt.timedelta

        def to_db(seconds: float):
            # Django stores naive UTC `str(datetime)` on SQLite.
            return str(naive + delta(seconds=seconds))

        return to_db, str
    aware = dt.datetime(1970, 1, 1, tzinfo=utc)
    delta = dt.timedelta

    def to_db_aware(seconds: float):
        return aware + delta(seconds=seconds)

    return to_db_aware, (lambda d: d)
