"""Fast inserts of new rows for the hot write paths (the intake of reports).

`insert(objs)` does what `QuerySet.bulk_create(objs)` does for instances holding plain values
(no expressions, no files): one INSERT … RETURNING per batch, the primary keys set on the
instances, `auto_now`/`auto_now_add` applied. Django's bulk_create converts each value through
the generic field machinery (about 4 µs a value on our machines), which is most of the cost of
writing a new case with its timeline and audit rows; here each field gets its converter once
per model and database — the same conversion its `get_db_prep_save` does, chosen by the field's
type — and the SQL text is built once per model, batch size and database. Anything unusual (a
file field, an expression, a database that cannot return keys) goes to bulk_create.

`prepare(objs)` does the conversion ahead of the transaction (`insert(prepare(objs))` is
`insert(objs)`), with `late` columns read only when the rows are written.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, Error, connections, models, router, transaction
from django.db.models.base import ModelState
from django.db.models.expressions import Expression
from django.utils import timezone

_IDENTITY_TYPES = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
_INT_TYPES = {
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
}


# Values of these types are never expressions (prepare() checks the others).
_PLAIN_TYPES = frozenset(
    {type(None), str, int, float, bool, dict, list, datetime.datetime, datetime.date}
)


def _same(value):
    return value


def _str(value):
    return value if value is None or type(value) is str else str(value)


def _int(value):
    return value if value is None else int(value)


def _float(value):
    return value if value is None else float(value)


def _bool(value):
    return value if value is None else bool(value)


def _sqlite_datetime(value, zone, adapt):
    """SQLite's text of a datetime as its backend's adapt_datetimefield_value (`adapt`)
    writes it with USE_TZ — an aware value in the connection's zone, naive — in half the
    time; anything but a plain datetime goes to `adapt`."""
    if type(value) is not datetime.datetime:
        return value if value is None else adapt(value)
    if value.tzinfo is not None and value.utcoffset() is not None:
        if value.tzinfo is not zone:
            value = value.astimezone(zone)
        value = value.replace(tzinfo=None)
    return str(value)


def _converter(field, connection) -> Callable | None:
    """The value converter of a concrete field, or None when it needs the generic path."""
    kind = field.get_internal_type()
    if isinstance(field, models.ForeignKey):
        return _converter(field.target_field, connection)
    if kind in _IDENTITY_TYPES:
        return _str
    if kind in _INT_TYPES:
        return _int
    if kind == "FloatField":
        return _float
    if kind == "BooleanField":
        return _bool
    ops = connection.ops
    if kind in ("DateTimeField", "DateField") and connection.vendor == "postgresql":
        return _same  # (the driver adapts dates and times itself)
    if kind == "DateTimeField":
        if connection.vendor == "sqlite" and connection.timezone is not None:
            return functools.partial(
                _sqlite_datetime, zone=connection.timezone, adapt=ops.adapt_datetimefield_value
            )
        return lambda v: v if v is None else ops.adapt_datetimefield_value(v)
    if kind == "DateField":
        return lambda v: v if v is None else ops.adapt_datefield_value(v)
    if kind == "JSONField":
        return lambda v, f=field: f.get_db_prep_save(v, connection)
    return None


@functools.lru_cache(maxsize=64)
def _plan(model, alias: str):
    """(fields, converters, column list, returning clause, auto_now fields) for a model on a
    database, or None when a field needs bulk_create."""
    connection = connections[alias]
    if not connection.features.can_return_rows_from_bulk_insert:
        return None
    fields, converters = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.get_internal_type() in _INT_TYPES:
            continue
        conv = _converter(field, connection)
        if conv is None or isinstance(field, models.FileField):
            return None
        fields.append(field)
        converters.append(conv)
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in fields)
    returning = q(model._meta.pk.column)
    auto = tuple(
        f for f in fields if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)
    )
    return tuple(fields), tuple(converters), columns, returning, auto


@functools.lru_cache(maxsize=256)
def _sql(model, alias: str, rows: int) -> str:
    fields, _conv, columns, returning, _auto = _plan(model, alias)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = connections[alias].ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows)} RETURNING {returning}"


@functools.lru_cache(maxsize=256)
def _qmark(sql: str) -> str:
    """An INSERT of _sql with SQLite's own placeholders (the statement has no other %)."""
    return sql.replace("%s", "?")


@functools.lru_cache(maxsize=64)
def _unnest_sql(model, alias: str) -> str:
    """PostgreSQL: one INSERT for any number of rows, each column passed as one array in
    binary form (%b). Its text is short and the same for every batch (psycopg caches the
    parsing of short statements only), PostgreSQL parses a few parameters instead of
    thousands, and binary arrays are built without quoting each value (a quarter of the
    time of text arrays)."""
    connection = connections[alias]
    fields, _conv, columns, returning, _auto = _plan(model, alias)
    arrays = ", ".join(f"%b::{f.db_type(connection)}[]" for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) RETURNING {returning}"


# Fewer rows than this go as VALUES: their statement is short anyway.
UNNEST_FROM_ROWS = 4


class Rows:
    """New instances of one model with their column values converted (`prepare`), ready for
    `insert`. Converting before the transaction means a writer holds the write lock (SQLite
    has one for the whole file) only for its statements. A `late` column is read when the
    rows are written: a value known only inside the transaction, such as the key of a row
    inserted just before (`late={"case_id": attrgetter("case.pk")}`)."""

    __slots__ = ("model", "objs", "params", "late")

    def __init__(self, model, objs: list, params: list | None, late: tuple):
        self.model = model
        self.objs = objs
        self.params = params  # None: the instances go to bulk_create when written
        self.late = late  # (attname, column index, converter, function of the instance)


def prepare(objs: Sequence[models.Model], *, late: dict[str, Callable] | None = None) -> Rows:
    """New instances of one model converted for `insert` (see Rows); `late` maps attnames to
    functions of an instance that give their values at write time."""
    objs = list(objs)
    if not objs:
        return Rows(None, objs, [], ())
    model = type(objs[0])
    plan = _plan(model, router.db_for_write(model))
    late_columns = []
    if plan is not None:
        fields, converters, _columns, _returning, auto = plan
        index = {f.attname: i for i, f in enumerate(fields)}
    for attname, fn in (late or {}).items():
        if plan is None:
            late_columns.append((attname, None, None, fn))
        elif attname not in index:
            raise ValueError(f"{model.__name__} has no column {attname}")
        else:
            late_columns.append((attname, index[attname], converters[index[attname]], fn))
    rows = Rows(model, objs, None, tuple(late_columns))
    if plan is None:
        return rows
    now = None
    params_rows = []
    attnames = tuple(f.attname for f in fields)
    for obj in objs:
        if obj.pk is not None:  # an explicit key: the generic path
            return rows
        for f in auto:
            now = now or timezone.now()
            setattr(obj, f.attname, now if isinstance(f, models.DateTimeField) else now.date())
        attrs = obj.__dict__
        try:
            raw = [attrs[a] for a in attnames]
        except KeyError:  # a deferred field
            raw = [getattr(obj, a) for a in attnames]
        for value in raw:
            if type(value) not in _PLAIN_TYPES and isinstance(value, Expression):
                return rows
        params_rows.append([conv(value) for conv, value in zip(converters, raw, strict=True)])
    rows.params = params_rows
    return rows


class _Layout:
    """What new() needs to know of a model: the attnames of its concrete fields with their
    constant defaults, the fields by name and attname, and the fields with computed
    defaults."""

    __slots__ = ("defaults", "by_key", "computed", "plain")

    def __init__(self, model):
        from django.db.models.signals import post_init, pre_init

        self.defaults = {}  # attname -> constant default
        self.by_key = {}  # name and attname -> (attname, foreign key given as an object)
        self.computed = []  # (name, attname, default function) of callable defaults
        for field in model._meta.concrete_fields:
            if field.is_relation and (field.one_to_one or not field.many_to_one):
                # (A one-to-one's descriptor sets the reverse cache on the related object too.)
                raise TypeError(f"{model.__name__}.{field.name}: new() takes foreign keys only")
            self.by_key[field.attname] = (field.attname, None)
            if field.is_relation:
                self.by_key[field.name] = (field.attname, field)
            if field.has_default() and callable(field.default) or field.has_db_default():
                self.computed.append((field.name, field.attname, field.get_default))
            else:
                value = field.get_default()
                if value is not None and type(value) not in (str, int, float, bool):
                    self.computed.append((field.name, field.attname, field.get_default))
                else:
                    self.defaults[field.attname] = value
        # Without listeners of the model's init signals (a GenericForeignKey, an ImageField's
        # dimensions), filling the instance's attributes is all that its constructor does.
        self.plain = not (pre_init.has_listeners(model) or post_init.has_listeners(model))


@functools.lru_cache(maxsize=64)
def _layout(model) -> _Layout:
    return _Layout(model)


def new(model, /, **values) -> models.Model:
    """An unsaved instance, as `model(**values)` makes it — values by field name (a related
    object) or attname (its key), the others at their defaults — in a fraction of the time,
    for the hot write paths that make hundreds of rows at once (the intake worker). The
    keyword constructor looks every field up in the keywords and goes through each related
    object's descriptor; here the attributes are filled from the defaults and the values
    given, and the related objects given are put in the instance's cache as the descriptor
    puts them. (A model whose init signals have listeners gets its constructor.)"""
    layout = _layout(model)
    attrs = dict(layout.defaults)
    related = []
    for key, value in values.items():
        try:
            attname, fk = layout.by_key[key]
        except KeyError:
            raise TypeError(f"{model.__name__} has no field {key}") from None
        if fk is not None:
            related.append((fk, value))
            value = None if value is None else getattr(value, fk.target_field.attname)
        attrs[attname] = value
    for name, attname, default in layout.computed:
        if attname not in values and name not in values:
            attrs[attname] = default()
    if layout.plain:
        obj = _bare(model, attrs)
    else:
        obj = model(*[attrs[f.attname] for f in model._meta.concrete_fields])
    for fk, value in related:
        fk.set_cached_value(obj, value)
    return obj


def loaded(model, alias: str, attrs: dict) -> models.Model:
    """An instance as `model.from_db(alias, …)` makes it of a row read earlier — `attrs`
    holds every concrete field's attname and value — without the constructor's per-field
    work: for rows kept in memory and handed out afresh on every request (a token's user).
    A model whose init signals have listeners gets from_db."""
    if not _layout(model).plain:
        names = list(attrs)
        return model.from_db(alias, names, [attrs[n] for n in names])
    obj = _bare(model, attrs)
    obj._state.adding = False
    obj._state.db = alias
    return obj


def _bare(model, attrs: dict) -> models.Model:
    """An instance of `model` holding `attrs`, made without its constructor: for a model
    whose init signals nobody hears, filling the attributes is all the constructor does."""
    obj = model.__new__(model)
    obj._state = ModelState()
    obj.__dict__.update(attrs)
    return obj


def insert(objs: Sequence[models.Model] | Rows) -> list[models.Model]:
    """Insert new instances of one model (or the Rows prepared of them); their primary keys
    are set. Returns them."""
    rows = objs if isinstance(objs, Rows) else prepare(objs)
    objs, model, params_rows = rows.objs, rows.model, rows.params
    if not objs:
        return objs
    for attname, index, conv, fn in rows.late:
        for i, obj in enumerate(objs):
            value = fn(obj)
            obj.__dict__[attname] = value  # (a foreign key's cached object stays)
            if params_rows is not None:
                params_rows[i][index] = conv(value)
    if params_rows is None:
        return model.objects.bulk_create(objs)
    alias = router.db_for_write(model)
    fields = _plan(model, alias)[0]
    connection = connections[alias]
    unnest = connection.vendor == "postgresql" and len(objs) >= UNNEST_FROM_ROWS
    if unnest or len(objs) == 1:
        batch = len(objs)
    else:
        batch = max(1, connection.ops.bulk_batch_size(list(fields), objs) or len(objs))
    if connection.vendor == "sqlite" and not (
        connection.queries_logged or connection.execute_wrappers
    ):
        # On the driver's connection: Django's SQLite cursor rewrites the placeholders of
        # every statement it is given with a regular expression (for a phone's receipt, as
        # long as the insert itself); here each statement's text is rewritten once. Errors
        # are Django's, as from its cursors. (When queries are logged or wrapped, as in tests
        # that count them, the statements go through Django's cursor.)
        connection.ensure_connection()
        raw = connection.connection
        with connection.wrap_database_errors:
            _write_batches(
                model,
                alias,
                objs,
                params_rows,
                batch,
                unnest,
                lambda sql, params: raw.execute(_qmark(sql), params).fetchall(),
            )
        return objs
    # PostgreSQL: parameters apart from the statement, which the server prepares once it has
    # seen it a few times on a connection (settings: prepare_threshold).
    postgres = connection.vendor == "postgresql"
    with _binding_cursor(connection) if postgres else connection.cursor() as cursor:

        def execute(sql, params):
            cursor.execute(sql, params)
            return cursor.fetchall()

        _write_batches(model, alias, objs, params_rows, batch, unnest, execute)
    return objs


def _write_batches(model, alias, objs, params_rows, batch, unnest, execute) -> None:
    """insert()'s statements, `batch` rows each, run by `execute(sql, params)` (which answers
    the rows returned); the instances get their keys."""
    pk_attname = model._meta.pk.attname
    for start in range(0, len(objs), batch):
        chunk = params_rows[start : start + batch]
        if unnest:
            # The rows go in in the arrays' order and draw their keys from the sequence in
            # that order.
            returned = execute(
                _unnest_sql(model, alias), [list(col) for col in zip(*chunk, strict=True)]
            )
            keys = sorted(pk for (pk,) in returned)
        else:
            returned = execute(_sql(model, alias, len(chunk)), [v for row in chunk for v in row])
            keys = [pk for (pk,) in returned]
        for obj, pk in zip(objs[start : start + batch], keys, strict=True):
            setattr(obj, pk_attname, pk)
            obj._state.adding = False
            obj._state.db = alias


def _binding_cursor(connection):
    """A PostgreSQL cursor that sends parameters apart from the statement (server-side
    binding; Django's own cursors bind on the client unless the whole site is configured
    otherwise), wrapped as Django wraps its cursors: errors translated, queries logged."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    return connection._prepare_cursor(ServerBindingCursor(connection.connection))


def one_statement_transaction(using: str = DEFAULT_DB_ALIAS):
    """The transaction of a write that is a single statement (one insert() call). PostgreSQL
    commits a statement atomically by itself: outside any transaction it is sent alone, one
    round trip instead of BEGIN, the statement and COMMIT (about 0.15 ms of CPU less for a
    phone's acknowledged report). SQLite writers take a transaction all the same: its
    IMMEDIATE begin is where they wait for the single write lock in fine steps
    (wangge.core.sqlite3), where a lone statement would sleep in SQLite's coarse busy
    handler. Inside a transaction it is an ordinary atomic block."""
    connection = connections[using]
    if connection.get_autocommit():
        if connection.vendor == "postgresql":
            return contextlib.nullcontext()
        if connection.vendor == "sqlite" and not connection.execute_wrappers:
            return _SQLiteStatementTransaction(connection)
    return transaction.atomic(using=using)


class _SQLiteStatementTransaction:
    """one_statement_transaction on SQLite outside any transaction: the IMMEDIATE begin (with
    its fine-stepped wait for the write lock), the statement, COMMIT — on the driver's
    connection, without an atomic block's bookkeeping (two switches of autocommit and the
    savepoint state: a tenth of the cost of a phone's acknowledged report). Only a single
    statement belongs inside: Django still sees autocommit there, so an atomic block or an
    on_commit() inside would not belong to this transaction."""

    __slots__ = ("connection",)

    def __init__(self, connection):
        self.connection = connection

    def __enter__(self):
        connection = self.connection
        connection.ensure_connection()
        connection.validate_thread_sharing()
        with connection.wrap_database_errors:
            connection._start_transaction_under_autocommit()

    def __exit__(self, exc_type, exc, tb):
        connection = self.connection
        if exc_type is None:
            try:
                with connection.wrap_database_errors:
                    connection._commit()
                return False
            except BaseException:
                self._rollback()
                raise
        self._rollback()
        return False

    def _rollback(self):
        """As an atomic block does: a connection that cannot even roll back is closed (the
        error that got here is the one raised)."""
        connection = self.connection
        try:
            with connection.wrap_database_errors:
                connection._rollback()
        except Error:
            connection.close()
