"""core.bulk.insert writes exactly what bulk_create would: the rows read back equal, field by
field, those of the same instances saved by Django."""

import contextlib
import datetime as dt

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from wangge.cases.models import Case, CaseAction, IntakeReceipt, Notification
from wangge.cases.services import get_category
from wangge.core.bulk import insert, new
from wangge.core.models import AuditEntry

pytestmark = pytest.mark.django_db

AT = timezone.make_aware(dt.datetime(2025, 9, 29, 10, 0, 0, 123456))


def _case(territory, user, n: int) -> Case:
    return Case(
        number=f"N{n}",
        tracking_code=f"T{n}",
        title="路灯坏了",
        description="晚上很黑，<不是标签>",
        category=get_category("environment"),
        urgency="urgent",
        source="api",
        reporter_phone="13800138000",
        reported_by=user,
        area=territory.grid_a1,
        grid=territory.grid_a1,
        area_path=territory.grid_a1.path,
        handler=user,
        first_responder=None,
        working_time=False,
        respond_by=AT,
        resolve_by=AT + dt.timedelta(hours=4),
        warn_at=None,
        reported_at=AT,
        lat=32.905,
        lng=115.805,
    )


def _row(obj) -> dict:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {k: v for k, v in model_to_dict(fresh).items() if k not in ("id", "updated_at")}


def test_rows_written_by_insert_equal_those_of_bulk_create(territory):
    from wangge.testing.factories import UserFactory

    user = UserFactory()
    fast = insert([_case(territory, user, 1), _case(territory, user, 2)])
    slow = Case.objects.bulk_create([_case(territory, user, 3)])
    assert all(c.pk for c in fast) and not fast[0]._state.adding
    a, b = _row(fast[0]), _row(slow[0])
    assert {k: v for k, v in a.items() if k not in ("number", "tracking_code")} == {
        k: v for k, v in b.items() if k not in ("number", "tracking_code")
    }
    assert Case.objects.get(pk=fast[0].pk).reported_at == AT  # microseconds and zone kept
    assert Case.objects.get(pk=fast[0].pk).updated_at is not None  # auto_now applied

    case = fast[0]
    action = CaseAction(
        case=case,
        actor=user,
        actor_role="grid_worker",
        verb="report",
        to_state="reported",
        is_public=True,
        created_at=AT,
        data={"routing": "on_duty", "handler": user.pk, "中文": ["是"]},
    )
    insert([action])
    assert _row(action)["data"] == {"routing": "on_duty", "handler": user.pk, "中文": ["是"]}
    audit = insert([AuditEntry(actor=None, verb="case.report", object_type="cases.case")])[0]
    assert AuditEntry.objects.get(pk=audit.pk).created_at is not None  # auto_now_add applied
    note = insert([Notification(recipient=user, case=case, verb="assigned", text="x")])[0]
    assert Notification.objects.get(pk=note.pk).read_at is None
    receipt = insert(
        [
            IntakeReceipt(
                tracking_code="R1",
                source="api",
                received_at=AT,
                payload={"a": 1.5, "b": None},
                idempotency_key=None,
            )
        ]
    )[0]
    got = IntakeReceipt.objects.get(pk=receipt.pk)
    assert got.payload == {"a": 1.5, "b": None} and got.idempotency_key is None
    assert got.status == "pending"  # the field default


def test_large_batches_are_split_and_keep_their_order(territory):
    rows = insert([AuditEntry(verb="x", object_type="t", object_id=str(i)) for i in range(1200)])
    ids = [r.pk for r in rows]
    assert ids == sorted(ids) and len(set(ids)) == 1200
    assert [r.object_id for r in AuditEntry.objects.filter(pk__in=ids).order_by("pk")] == [
        str(i) for i in range(1200)
    ]


def test_an_instance_with_its_own_key_takes_the_generic_path():
    row = insert([AuditEntry(pk=424242, verb="x", object_type="t")])[0]
    assert AuditEntry.objects.filter(pk=424242).exists() and row.pk == 424242


TRICKY = ['引号"和\\反斜杠', "{大括号}, 逗号", "NULL", "", "'单引号'", "换\n行"]


def test_many_rows_in_one_statement_equal_bulk_create(territory):
    """Enough rows for PostgreSQL's one-statement form (a column per array): text that array
    literals must escape, NULLs, JSON, times and keys come back as bulk_create writes them."""
    from wangge.testing.factories import UserFactory

    user = UserFactory()
    n = len(TRICKY)

    def cases(offset):
        out = []
        for i, text in enumerate(TRICKY):
            case = _case(territory, user if i % 2 else None, offset + i)
            case.title, case.address = text, text
            case.lat = None if i % 3 == 0 else 32.9 + i / 1000
            case.warn_at = AT + dt.timedelta(minutes=i) if i % 2 else None
            out.append(case)
        return out

    fast, slow = insert(cases(100)), Case.objects.bulk_create(cases(200))
    assert [c.pk for c in fast] == sorted(c.pk for c in fast) and len({c.pk for c in fast}) == n
    for a, b in zip(fast, slow, strict=True):
        ra, rb = _row(a), _row(b)
        assert ra["title"] == a.title and ra["reported_by"] == a.reported_by_id
        assert ra == rb  # (number and tracking code are not among the editable fields)

    actions = insert(
        [
            CaseAction(
                case=case,
                actor=None,
                verb="report",
                to_state="reported",
                note=text,
                created_at=AT,
                data={"text": text, "n": i, "none": None, "list": [1, "二"]},
            )
            for i, (case, text) in enumerate(zip(fast, TRICKY, strict=True))
        ]
    )
    for i, action in enumerate(actions):
        row = _row(action)
        assert row["case"] == fast[i].pk and row["note"] == TRICKY[i]
        assert row["data"] == {"text": TRICKY[i], "n": i, "none": None, "list": [1, "二"]}


@pytest.mark.parametrize("n", [1, len(TRICKY)])  # one row as VALUES; on PostgreSQL, arrays
def test_rows_prepared_before_their_keys_are_known_get_them_when_written(territory, n):
    """prepare() converts rows ahead of the transaction; a late column (a number given out
    inside it, the key of a case inserted just before) is read when the rows are written."""
    from wangge.cases.notify import prepare_notices, write_notices
    from wangge.core.audit import audit_rows
    from wangge.core.bulk import prepare
    from wangge.testing.factories import UserFactory

    user = UserFactory()
    cases = []
    for i in range(n):
        case = _case(territory, user, 0)
        case.number, case.tracking_code = "", f"L{i}"
        cases.append(case)
    case_rows = prepare(cases, late={"number": lambda c: c.number})
    actions = [
        CaseAction(case=c, actor=user, verb="report", to_state="reported", created_at=AT)
        for c in cases
    ]
    action_rows = prepare(actions, late={"case_id": lambda a: a.case.pk})
    audits = audit_rows([{"actor": user, "verb": "case.report", "obj": c} for c in cases])
    notices = prepare_notices((c, "assigned", [user.pk], None) for c in cases)
    assert all(c.pk is None for c in cases)

    for i, case in enumerate(cases):
        case.number = f"2025{i:06d}"
    insert(case_rows)
    insert(action_rows)
    insert(audits)
    ids = write_notices(notices)

    for i, case in enumerate(cases):
        assert Case.objects.get(pk=case.pk).number == f"2025{i:06d}"
        assert _row(actions[i])["case"] == case.pk
        assert actions[i].case is case  # the instance keeps its case
    entries = AuditEntry.objects.filter(verb="case.report").order_by("pk")
    assert [(e.object_id, e.object_repr) for e in entries] == [
        (str(c.pk), f"{c.number} {c.title}") for c in cases
    ]
    texts = dict(Notification.objects.filter(pk__in=ids).values_list("case_id", "text"))
    # The default language's text, as notify() writes it.
    assert texts == {c.pk: f"事件{c.number}“{c.title}”已派给您，请及时受理。" for c in cases}


def test_a_late_column_must_be_a_column():
    from wangge.core.bulk import prepare

    with pytest.raises(ValueError):
        prepare([AuditEntry(verb="x")], late={"no_such": lambda e: 1})


def test_postgresql_prepares_a_repeated_insert_once(territory):
    """The intake's inserts are prepared by PostgreSQL after a few uses on a connection
    (settings: prepare_threshold), not parsed and planned for every report."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    for i in range(8):
        insert([AuditEntry(verb="x", object_type="probe", object_id=str(i))])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ['INSERT INTO "core_auditentry"%'],
        )
        prepared = [statement for (statement,) in cursor.fetchall()]
    # (Other tests on this connection may have prepared the many-row form as well.)
    assert [s for s in prepared if "VALUES ($1" in s and "), (" not in s]
    assert AuditEntry.objects.filter(object_type="probe").count() == 8


def _attrs(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.mark.parametrize(
    "model, values",
    [
        (Case, "case"),
        (CaseAction, {"verb": "report", "to_state": "reported", "data": {"a": 1}}),
        (IntakeReceipt, {"tracking_code": "R9", "source": "api", "received_at": AT}),
        (Notification, {"verb": "assigned", "text": "x"}),
        (AuditEntry, {"verb": "case.report", "object_type": "cases.case"}),
    ],
)
def test_new_makes_the_instance_the_keyword_constructor_makes(territory, model, values):
    from wangge.testing.factories import UserFactory

    user = UserFactory()
    if values == "case":
        values = {
            f.name if f.is_relation else f.attname: getattr(
                _case(territory, user, 1), f.name if f.is_relation else f.attname
            )
            for f in Case._meta.concrete_fields
            if f.name not in ("id", "created_at", "updated_at", "merged_into", "department")
        }
    elif model in (CaseAction, AuditEntry):
        values = {**values, "actor": user}
    elif model is Notification:
        values = {**values, "recipient_id": user.pk}
    slow, fast = model(**values), new(model, **values)
    assert type(fast) is model and fast._state.adding and fast._state.db is None
    a, b = _attrs(slow), _attrs(fast)
    for name in ("created_at", "updated_at"):  # timezone.now() defaults, a moment apart
        if isinstance(a.get(name), dt.datetime):
            assert abs(a.pop(name) - b.pop(name)) < dt.timedelta(seconds=5)
    assert a == b
    for field in model._meta.concrete_fields:
        if field.is_relation and field.name in values:  # the object given, no query to get it
            assert getattr(fast, field.name) is values[field.name]
    if "data" in a:  # a callable default gives every instance its own value
        assert new(model, **values).data is not new(model, **values).data or values.get("data")


def test_new_refuses_what_the_constructor_refuses_and_takes_keys_by_attname(territory):
    with pytest.raises(TypeError):
        new(AuditEntry, verb="x", no_such_field=1)
    with pytest.raises(TypeError):  # a one-to-one would need its reverse cache set as well
        from rest_framework.authtoken.models import Token

        new(Token, key="k")
    note = new(Notification, recipient_id=None, case_id=None, verb="assigned")
    assert note.recipient_id is None and note.case_id is None and note.text == ""


@contextlib.contextmanager
def _post_init_heard(model):
    """A listener of `model`'s post_init signal while inside (the instances it heard)."""
    from django.db.models.signals import post_init

    from wangge.core import bulk

    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance)

    post_init.connect(listener, sender=model)
    bulk._layout.cache_clear()
    try:
        yield heard
    finally:
        post_init.disconnect(listener, sender=model)
        bulk._layout.cache_clear()


def test_new_runs_the_constructor_of_a_model_whose_init_signals_are_heard():
    with _post_init_heard(AuditEntry) as heard:
        entry = new(AuditEntry, verb="x")
    assert heard == [entry]


def test_sqlite_datetimes_are_written_as_the_backend_writes_them():
    import zoneinfo

    from django.db import connection

    from wangge.core import bulk

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's text of a datetime")
    conv = bulk._converter(Case._meta.get_field("reported_at"), connection)
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    for value in [
        None,
        AT,
        dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=shanghai),
        dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(2026, 1, 2, 3, 4, 5),  # naive: as it is
    ]:
        expected = None if value is None else connection.ops.adapt_datetimefield_value(value)
        assert conv(value) == expected


def _receipt(code: str) -> IntakeReceipt:
    return new(IntakeReceipt, tracking_code=code, source="api", received_at=AT, payload={"a": 1})


def test_rows_are_the_same_whether_queries_are_logged_or_not():
    """Logged (a test counting queries, DEBUG) the insert goes through Django's cursor;
    otherwise, on SQLite, straight to the driver with its statement rewritten once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def entry(n):
        return new(AuditEntry, verb="x", object_type="t", object_id=n, data={"中": [1, None]})

    with CaptureQueriesContext(connection) as logged:
        a = insert([entry("1"), entry("2")])
    assert len(logged.captured_queries) == 1
    b = insert([entry("1"), entry("2")])
    assert [_row(x) | {"created_at": None} for x in a] == [
        _row(x) | {"created_at": None} for x in b
    ]
    assert a[1].pk > a[0].pk and b[0].pk > a[1].pk and not b[0]._state.adding


def test_a_failing_insert_raises_djangos_integrity_error_and_writes_nothing():
    from django.db import IntegrityError, transaction

    insert([_receipt("DUP")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([_receipt("FIRST"), _receipt("DUP")])
    assert not IntakeReceipt.objects.filter(tracking_code="FIRST").exists()
    assert IntakeReceipt.objects.filter(tracking_code="DUP").count() == 1


def _left_open(connection) -> bool:
    """Whether the driver's connection is inside a transaction."""
    if connection.vendor == "sqlite":
        return connection.connection.in_transaction
    from psycopg.pq import TransactionStatus

    return connection.connection.info.transaction_status != TransactionStatus.IDLE


@pytest.mark.django_db(transaction=True)
def test_one_statement_transaction_outside_any_transaction():
    """As a phone's acknowledged report runs in production: the statement commits, or a
    statement that fails leaves nothing; the connection is back in autocommit either way
    and takes the next write."""
    from django.db import IntegrityError, connections, router

    from wangge.core.bulk import one_statement_transaction

    # The receipts' database (on SQLite the intake database, wangge.core.routers).
    using = router.db_for_write(IntakeReceipt)
    connection = connections[using]
    with one_statement_transaction(using):
        insert([_receipt("KEPT")])
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert not _left_open(connection)  # committed
    with pytest.raises(IntegrityError), one_statement_transaction(using):
        insert([_receipt("HALF"), _receipt("KEPT")])  # fails on its second row
    assert not _left_open(connection)
    assert sorted(IntakeReceipt.objects.values_list("tracking_code", flat=True)) == ["KEPT"]
    if connection.vendor == "sqlite":
        # SQLite writes in a transaction of its own: an error after the statement undoes it.
        with pytest.raises(ZeroDivisionError), one_statement_transaction(using):
            insert([_receipt("UNDONE")])
            1 / 0  # noqa: B018
        assert not IntakeReceipt.objects.filter(tracking_code="UNDONE").exists()
    with one_statement_transaction(using):
        insert([_receipt("NEXT")])
    assert IntakeReceipt.objects.filter(tracking_code="NEXT").exists()


def test_loaded_makes_the_instance_from_db_makes(territory):
    from wangge.accounts.models import User
    from wangge.core import bulk
    from wangge.testing.factories import UserFactory

    user = UserFactory()
    attrs = {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}
    made = bulk.loaded(User, "default", attrs)
    read = User.from_db("default", list(attrs), list(attrs.values()))
    assert type(made) is User and made is not bulk.loaded(User, "default", attrs)
    assert {k: v for k, v in made.__dict__.items() if k != "_state"} == {
        k: v for k, v in read.__dict__.items() if k != "_state"
    }
    assert (made._state.adding, made._state.db) == (read._state.adding, read._state.db)
    made.first_name = "改了"  # a fresh instance: the next one is not changed
    assert bulk.loaded(User, "default", attrs).first_name == user.first_name

    with _post_init_heard(User) as heard:
        again = bulk.loaded(User, "default", attrs)
    assert heard == [again]  # from_db, through the constructor
