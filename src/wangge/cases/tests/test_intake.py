"""The intake acknowledged before it is routed (受理回执): services.case_receive writes a
receipt, services.intake_process (the task worker) makes the cases, in batches, exactly as
the synchronous intake would have."""

import datetime as dt
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import router

from wangge.cases import deadlines, kpis, routing, services, tasks
from wangge.cases.choices import ReceiptStatus
from wangge.cases.models import (
    Case,
    CaseAction,
    CaseAttachment,
    Category,
    IntakeReceipt,
    Notification,
)
from wangge.core import routers
from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.models import AuditEntry

from .conftest import IN_A1, IN_B2, JPEG, MONDAY_10

pytestmark = pytest.mark.django_db


@pytest.fixture
def receive(world, clock):
    """receive(**kw): case_receive of a report by the town office; receive.at_once(**kw): the
    same report through case_report."""

    def params(kw):
        lat, lng = kw.pop("point", IN_A1)
        out = {
            "actor": world.town_admin,
            "source": "api",
            "description": "路灯坏了，晚上很黑",
            "category": "environment",
            "lat": lat,
            "lng": lng,
            "at": clock.now,
        }
        out.update(kw)
        return out

    def _receive(**kw):
        return services.case_receive(**params(kw))

    _receive.at_once = lambda **kw: services.case_report(**params(kw))
    return _receive


def test_a_receipt_is_written_and_becomes_a_case(world, receive):
    receipt = receive(idempotency_client="user:1", idempotency_key="k1")
    assert receipt.status == ReceiptStatus.PENDING and not receipt.replayed
    assert receipt.payload["description"]  # the report, until its case holds it
    assert not Case.objects.exists()  # acknowledged, not yet routed

    assert services.intake_process() == 1
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.DONE and receipt.processed_at
    assert receipt.payload == {}  # the case is the record now
    case = Case.objects.get()
    assert case.tracking_code == receipt.tracking_code
    assert case.reported_at == MONDAY_10  # the moment it was acknowledged
    assert case.grid == world.t.grid_a1 and case.handler == world.worker_a1
    assert case.first_responder == world.town_admin and case.reported_by == world.town_admin
    assert case.number and case.resolve_by > case.reported_at
    [action] = CaseAction.objects.filter(case=case)
    assert (action.verb, action.to_state, action.actor) == ("report", "reported", world.town_admin)
    assert action.data["routing"] == routing.Reason.ON_DUTY
    assert AuditEntry.objects.filter(verb="case.report", object_id=str(case.pk)).count() == 1
    assert Notification.objects.filter(case=case, recipient=world.worker_a1).count() == 1
    assert kpis.stored() == kpis.recount()
    assert services.intake_process() == 0  # nothing left: a second run changes nothing
    assert Case.objects.count() == 1


def test_a_batch_equals_the_same_reports_one_by_one(world, clock):
    """Routing, deadlines, numbers and rollups of a batch are those of the synchronous
    intake: the same reports at the same moments give the same cases."""
    rng = random.Random(7)
    reports = []
    for i in range(30):
        clock.advance(minutes=rng.choice([1, 13, 95, 600]))
        reports.append(
            {
                "actor": rng.choice([None, world.town_admin, world.worker_a1]),
                "source": rng.choice(["api", "hotline"]),
                "description": f"第{i}件事",
                "category": rng.choice(["environment", "dispute_neighbour", "safety"]),
                "urgency": rng.choice(["normal", "urgent", None]),
                "lat": rng.choice([IN_A1, IN_B2])[0],
                "lng": rng.choice([IN_A1, IN_B2])[1],
                "reporter_phone": "13800138000",
                "at": clock.now,
            }
        )
    for r in reports:
        if r["actor"] is world.worker_a1:
            r["lat"], r["lng"] = IN_A1  # a grid worker reports on their own grid
    for r in reports:
        services.case_receive(**r)
    assert services.intake_process(limit=1000) == 30
    batch = list(Case.objects.order_by("reported_at", "id"))
    for case, r in zip(batch, reports, strict=True):
        grid = case.grid
        level = case.category.default_level
        expected = routing.route(
            grid=grid, level=level, urgency=case.urgency, at=r["at"], reporter=r["actor"]
        )
        d = deadlines.compute_deadlines(case.category, case.urgency, r["at"])
        assert case.handler_id == getattr(expected.handler, "pk", None)
        assert (case.respond_by, case.resolve_by, case.warn_at) == (
            d.respond_by,
            d.resolve_by,
            d.warn_at,
        )
        assert case.first_responder_id == getattr(r["actor"] or expected.handler, "pk", None)
    numbers = [c.number for c in Case.objects.order_by("id")]
    assert numbers == sorted(numbers) and len(set(numbers)) == 30
    assert kpis.stored() == kpis.recount()


def test_a_retry_gets_the_same_receipt_and_a_reuse_of_the_key_is_refused(world, receive):
    first = receive(idempotency_client="user:1", idempotency_key="k1")
    again = receive(idempotency_client="user:1", idempotency_key="k1")
    assert again.replayed and again.pk == first.pk
    with pytest.raises(DomainError) as exc:
        receive(idempotency_client="user:1", idempotency_key="k1", description="另一件事")
    assert exc.value.code == "idempotency_conflict"
    assert IntakeReceipt.objects.count() == 1
    services.intake_process()
    # After it is taken in, the same request through either door answers with the case.
    assert receive(idempotency_client="user:1", idempotency_key="k1").status == "done"
    case = receive.at_once(idempotency_client="user:1", idempotency_key="k1")
    assert case.replayed and Case.objects.count() == 1


def test_a_synchronous_retry_of_a_pending_receipt_takes_it_in(world, receive):
    receipt = receive(idempotency_client="user:1", idempotency_key="k1")
    case = receive.at_once(idempotency_client="user:1", idempotency_key="k1")
    assert case.replayed and case.tracking_code == receipt.tracking_code
    assert Case.objects.count() == 1 and IntakeReceipt.objects.get().status == "done"


def test_a_synchronous_report_with_a_key_registers_it(world, report):
    case = report(idempotency_client="qr", idempotency_key="form-1")
    receipt = IntakeReceipt.objects.get()
    assert (receipt.tracking_code, receipt.status) == (case.tracking_code, "done")
    assert receipt.payload == {}  # the case is the record; the receipt only holds the key


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"point": (40.0, 116.4)}, "location"),
        ({"point": ("abc", "1")}, "location"),
        ({"category": "no-such-thing"}, "category"),
        ({"description": "x" * 4001}, "description"),
        ({"description": "<b></b>"}, "description"),
        ({"urgency": "apocalyptic"}, "urgency"),
        ({"source": "carrier-pigeon"}, "source"),
        ({"photos": [SimpleUploadedFile("fake.jpg", b"MZ not an image")]}, "photos"),
    ],
)
def test_bad_input_is_refused_at_once_and_nothing_is_kept(world, receive, kwargs, field):
    with pytest.raises(DomainError) as exc:
        receive(**kwargs)
    assert exc.value.field == field
    assert not IntakeReceipt.objects.exists() and not Case.objects.exists()


def test_staff_outside_their_scope_are_refused_at_once(world, receive):
    with pytest.raises(PermissionDenied):
        receive(actor=world.outsider)
    assert not IntakeReceipt.objects.exists()


def test_photos_are_stored_at_once_and_attached_to_the_case(world, receive, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    receipt = receive(photos=[SimpleUploadedFile("a.jpg", JPEG)])
    [(name, kind, size, _sha)] = receipt.payload["photos"]
    assert (tmp_path / name).read_bytes() == JPEG and kind == "image/jpeg" and size == len(JPEG)
    services.intake_process()
    att = CaseAttachment.objects.get()
    assert att.file.name == name and att.case.tracking_code == receipt.tracking_code
    assert att.action.verb == "report"


def test_a_receipt_that_cannot_be_taken_in_is_kept_failed_and_the_others_go_through(world, receive):
    good = receive(description="好的")
    bad = receive(description="坏的")
    also_good = receive(description="也好")
    # The category of the second report is gone by the time the worker reaches it.
    payload = dict(bad.payload, category=999_999)
    IntakeReceipt.objects.filter(pk=bad.pk).update(payload=payload)

    assert services.intake_process() == 2
    statuses = dict(IntakeReceipt.objects.values_list("pk", "status"))
    assert statuses == {good.pk: "done", bad.pk: "failed", also_good.pk: "done"}
    bad.refresh_from_db()
    assert bad.error and bad.attempts == 1
    assert bad.payload == payload  # kept, to be put right and sent round again
    assert sorted(Case.objects.values_list("description", flat=True)) == ["也好", "好的"]

    # Put right, an administrator sends it round again.
    IntakeReceipt.objects.filter(pk=bad.pk).update(
        payload=dict(payload, category=Category.objects.get(code="environment").pk)
    )
    with pytest.raises(PermissionDenied):
        services.intake_retry(actor=world.town_admin, receipt=bad)
    world.county_admin.is_superuser = True
    world.county_admin.save()
    assert services.intake_retry(actor=world.county_admin, receipt=bad).status == "done"
    assert Case.objects.filter(tracking_code=bad.tracking_code).exists()


def test_receipts_taken_by_another_worker_meanwhile_are_not_taken_twice(
    world, receive, monkeypatch
):
    first, second = receive(), receive()
    plan = services._plan_cases

    def plan_then_lose_the_race(intakes):
        planned = plan(intakes)
        if len(intakes) == 2:  # another worker claims and takes in the first one
            assert services.intake_process(receipt_ids=[first.pk]) == 1
        return planned

    monkeypatch.setattr(services, "_plan_cases", plan_then_lose_the_race)
    assert services.intake_process() == 1  # started again with what was left
    assert Case.objects.count() == 2
    assert set(Case.objects.values_list("tracking_code", flat=True)) == {
        first.tracking_code,
        second.tracking_code,
    }


def test_the_worker_is_asked_once_per_window_to_start_at_its_end(world, monkeypatch, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    backend = tasks.process_intake.get_backend()
    asked = []

    class Task:
        module_path = tasks.process_intake.module_path

        def using(self, run_after=None):
            asked.append(run_after)
            return self

        def enqueue(self):
            pass

        def get_backend(self):
            return backend

    monkeypatch.setattr(tasks, "process_intake", Task())
    monkeypatch.setattr(tasks, "_last_window", -1)
    now = [1_000_000.05]
    monkeypatch.setattr(tasks.time, "time", lambda: now[0])
    tasks.enqueue_intake_processing()
    tasks.enqueue_intake_processing()  # same window: nothing more
    now[0] += tasks.INTAKE_WINDOW_SECONDS
    tasks.enqueue_intake_processing()
    assert len(asked) == 2
    window_end = (int(1_000_000.05 / tasks.INTAKE_WINDOW_SECONDS) + 1) * tasks.INTAKE_WINDOW_SECONDS
    assert asked[0] == dt.datetime.fromtimestamp(window_end, tz=dt.UTC)


def test_the_web_workers_share_one_run_per_window(world, monkeypatch, settings):
    """Each web worker asks for the run of its window; with the database queue a run already
    waiting for the same window's end is not asked for again."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = [1_000_000.05]
    monkeypatch.setattr(tasks.time, "time", lambda: now[0])
    runs = DBTaskResult.objects.filter(task_path=tasks.process_intake.module_path)
    for _worker in range(2):  # each process remembers only its own last window
        monkeypatch.setattr(tasks, "_last_window", -1)
        tasks.enqueue_intake_processing()
    assert runs.count() == 1
    now[0] += tasks.INTAKE_WINDOW_SECONDS
    monkeypatch.setattr(tasks, "_last_window", -1)
    tasks.enqueue_intake_processing()
    assert runs.count() == 2
    assert len({r.run_after for r in runs}) == 2


def test_the_task_takes_in_everything_pending(world, receive):
    for i in range(5):
        receive(description=f"第{i}件")
    assert tasks.process_intake.call() == 5
    assert IntakeReceipt.objects.filter(status="done").count() == 5
    assert tasks.process_intake.call() == 0


def test_a_run_follows_a_burst_and_takes_its_last_reports_in_when_it_stops(
    world, receive, monkeypatch
):
    """After a partial batch the run looks again while reports keep coming; when a look
    finds no new one it takes in what came meanwhile at once, and when none came it ends."""
    for i in range(3):
        receive(description=f"第{i}件")
    pending_at_each_wait = []

    def sleep(_seconds):
        pending_at_each_wait.append(IntakeReceipt.objects.filter(status="pending").count())
        if len(pending_at_each_wait) == 1:  # the burst goes on while the first batch is written
            for i in range(3, 5):
                receive(description=f"第{i}件")

    batches = []
    take_in = services.intake_process

    def intake_process(**kw):
        n = take_in(**kw)
        batches.append(n)
        return n

    monkeypatch.setattr(tasks.time, "sleep", sleep)
    monkeypatch.setattr(services, "intake_process", intake_process)
    assert tasks.process_intake.call() == 5
    # 3; two more came during the first wait, none during the second: they are taken in;
    # none came during the third: the run ended.
    assert batches == [3, 2]
    assert pending_at_each_wait == [0, 2, 0]
    assert not IntakeReceipt.objects.filter(status="pending").exists()
    assert Case.objects.count() == 5


@pytest.mark.parametrize(
    ("heads", "expected", "looks"),
    [
        ([(0, None)], False, 1),  # nothing came: the burst is over
        ([(3, 10), (5, 12), (5, 12)], True, 3),  # no new one since the last look
        ([(3, 10), (200, 300)], True, 2),  # a whole batch waits
        ([(n, n) for n in range(1, 100)], True, 4),  # a trickle: after a window
    ],
)
def test_following_a_burst_decides_by_what_each_look_finds(monkeypatch, heads, expected, looks):
    clock = [0.0]
    seen = iter(heads)
    calls = []

    def pending_head(limit):
        calls.append(limit)
        return next(seen)

    monkeypatch.setattr(tasks, "INTAKE_WINDOW_SECONDS", 0.5)
    monkeypatch.setattr(tasks, "INTAKE_FOLLOW_SECONDS", 0.125)  # (exact in binary)
    monkeypatch.setattr(tasks.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(tasks.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    monkeypatch.setattr(tasks, "_pending_head", pending_head)
    assert tasks._follow_burst(200, stop_at=100.0) is expected
    assert len(calls) == looks


def test_the_pending_head_counts_up_to_a_batch_and_names_the_newest(world, receive):
    assert tasks._pending_head(2) == (0, None)
    receipts = [receive(description=f"第{i}件") for i in range(3)]
    assert tasks._pending_head(2) == (2, receipts[1].pk)
    assert tasks._pending_head(10) == (3, receipts[2].pk)


def test_a_receipt_commit_asks_for_the_worker(world, receive, django_capture_on_commit_callbacks):
    # (On the commit of the receipt's database: on SQLite the intake database.)
    using = router.db_for_write(IntakeReceipt)
    with django_capture_on_commit_callbacks(using=using) as callbacks:
        receive()
    assert [c.__name__ for c in callbacks] == ["request_intake_processing"]


def test_the_public_board_shows_a_receipt_before_its_case(world, receive, client):
    receipt = receive(reporter_phone="13800138000", reporter_name="张三")
    r = client.get(f"/t/{receipt.tracking_code}")
    body = r.content.decode()
    assert r.status_code == 200 and 'http-equiv="refresh"' in body
    assert "13800138000" not in body and "张三" not in body
    services.intake_process()
    r = client.get(f"/t/{receipt.tracking_code}")
    assert r.status_code == 200 and Case.objects.get().number in r.content.decode()
    assert client.get("/t/forged-code-123").status_code == 404


def test_old_receipts_of_cases_are_pruned_and_the_others_kept(world, receive, clock):
    taken = receive(description="早就办了")
    services.intake_process()
    waiting = receive(description="还在排队")
    failed = receive(description="出了错")
    IntakeReceipt.objects.filter(pk=failed.pk).update(status="failed")
    assert services.receipts_prune(older_than_days=90, now=clock.now) == 0  # all recent
    later = clock.now + dt.timedelta(days=91)
    assert services.receipts_prune(older_than_days=90, now=later) == 1
    assert set(IntakeReceipt.objects.values_list("pk", flat=True)) == {waiting.pk, failed.pk}
    assert Case.objects.filter(tracking_code=taken.tracking_code).exists()
    assert AuditEntry.objects.filter(verb="case.receipts_pruned").count() == 1


def test_a_failed_receipt_is_retried_from_the_admin(world, receive, client):
    receipt = receive()
    IntakeReceipt.objects.filter(pk=receipt.pk).update(status="failed", error="gone")
    world.county_admin.is_superuser = world.county_admin.is_staff = True
    world.county_admin.save()
    client.force_login(world.county_admin)
    url = "/admin/cases/intakereceipt/"
    page = client.get(url)
    assert page.status_code == 200 and receipt.tracking_code in page.content.decode()
    assert "路灯坏了" not in page.content.decode()  # the reporter's text stays out
    r = client.post(url, {"action": "retry", "_selected_action": [receipt.pk]}, follow=True)
    assert r.status_code == 200
    assert IntakeReceipt.objects.get(pk=receipt.pk).status == "done"
    assert Case.objects.filter(tracking_code=receipt.tracking_code).exists()


# --- The receipts in a database of their own (SQLite; wangge.core.routers) ---------------------

needs_intake_db = pytest.mark.skipif(
    not routers.separate(), reason="PostgreSQL keeps the receipts with the cases"
)


def test_the_receipts_database_follows_the_main_one(world, receive):
    """On SQLite a receipt is written to the intake database and to no other; on PostgreSQL
    everything is in the one database."""
    from django.db import connections

    receipt = receive(idempotency_client="user:1", idempotency_key="where")
    if connections["default"].vendor != "sqlite":
        assert not routers.separate() and router.db_for_write(IntakeReceipt) == "default"
        return
    assert routers.separate() and router.db_for_write(IntakeReceipt) == routers.INTAKE
    with connections[routers.INTAKE].cursor() as cursor:
        cursor.execute("SELECT tracking_code FROM cases_intakereceipt")
        assert cursor.fetchall() == [(receipt.tracking_code,)]
        tables = connections[routers.INTAKE].introspection.table_names(cursor)
    assert "cases_case" not in tables  # only the receipts there
    main = connections["default"]
    with main.cursor() as cursor:
        assert "cases_intakereceipt" not in main.introspection.table_names(cursor)


@needs_intake_db
def test_a_receipt_whose_case_exists_is_only_marked_done(world, receive, monkeypatch):
    """A worker that stopped after writing the cases and before marking their receipts (or
    two workers that read the same receipts): the next run makes no second case."""
    first = receive(idempotency_client="user:1", idempotency_key="a")
    second = receive(idempotency_client="user:1", idempotency_key="b")
    with monkeypatch.context() as m:
        m.setattr(services, "_mark_done", lambda receipts: 0)  # stopped before marking
        assert services.intake_process() == 2
    assert IntakeReceipt.objects.filter(status=ReceiptStatus.PENDING).count() == 2
    third = receive(idempotency_client="user:1", idempotency_key="c")

    assert services.intake_process() == 1  # the third only
    assert Case.objects.count() == 3
    assert sorted(Case.objects.values_list("tracking_code", flat=True)) == sorted(
        r.tracking_code for r in (first, second, third)
    )
    assert set(IntakeReceipt.objects.values_list("status", flat=True)) == {ReceiptStatus.DONE}
    assert kpis.stored() == kpis.recount()


@needs_intake_db
def test_the_synchronous_intake_goes_through_its_receipt(world, receive):
    """case_report with a key writes the receipt first (its unique key stops a second case),
    then the case at once; a retry gets the same case."""
    case = receive.at_once(idempotency_client="user:1", idempotency_key="sync")
    assert not case.replayed and case.pk and case.handler == world.worker_a1
    receipt = IntakeReceipt.objects.get()
    assert (receipt.tracking_code, receipt.status) == (case.tracking_code, ReceiptStatus.DONE)
    assert [a.verb for a in case.new_timeline[0]] == ["report"]
    again = receive.at_once(idempotency_client="user:1", idempotency_key="sync")
    assert again.replayed and again.pk == case.pk
    assert Case.objects.count() == 1 and IntakeReceipt.objects.count() == 1
    assert kpis.stored() == kpis.recount()


@needs_intake_db
def test_the_synchronous_intake_answers_with_the_case_the_worker_made(world, receive, monkeypatch):
    """The intake worker, asked for when the receipt committed, may take the receipt in
    before the request does: the request answers with that case, and makes no second one."""
    real = services._take_in_now

    def worker_first(receipt, writes):
        assert services.intake_process() == 1  # the worker, between the receipt and the case
        return real(receipt, writes)

    monkeypatch.setattr(services, "_take_in_now", worker_first)
    case = receive.at_once(idempotency_client="user:1", idempotency_key="race")
    assert not case.replayed and Case.objects.count() == 1
    assert case.tracking_code == IntakeReceipt.objects.get().tracking_code
    assert IntakeReceipt.objects.get().status == ReceiptStatus.DONE


@needs_intake_db
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_installation_with_receipts_in_the_main_file_has_them_moved():
    """Migration 0012 on the intake database: the receipts an earlier version kept in the
    main database (pending ones too) are copied over, and the old table is renamed, not
    dropped."""
    import importlib

    from django.db import connections

    migration = importlib.import_module("wangge.cases.migrations.0012_receipts_in_intake_database")
    main = connections["default"]
    with main.schema_editor() as editor:
        editor.create_model(IntakeReceipt)  # as 0008 made it in the main database
    try:
        with main.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO cases_intakereceipt (tracking_code, status, source, received_at, "
                "payload, idempotency_client, idempotency_key, body_hash, attempts, error) "
                "VALUES (%s, %s, 'api', '2026-12-01 02:00:00', %s, 'user:1', %s, '', 0, '')",
                [
                    ("OLDDONE", "done", "{}", "k-done"),
                    ("OLDPENDING", "pending", '{"description": "x"}', "k-pending"),
                ],
            )
        with connections[routers.INTAKE].schema_editor() as editor:
            migration.move_receipts(None, editor)
        moved = dict(IntakeReceipt.objects.values_list("tracking_code", "status"))
        assert moved == {"OLDDONE": "done", "OLDPENDING": "pending"}
        assert IntakeReceipt.objects.get(tracking_code="OLDPENDING").payload == {"description": "x"}
        with main.cursor() as cursor:
            tables = main.introspection.table_names(cursor)
        assert migration.KEPT_AS in tables and "cases_intakereceipt" not in tables
        with connections[routers.INTAKE].schema_editor() as editor:
            migration.move_receipts(None, editor)  # run again: nothing left to move
        assert IntakeReceipt.objects.count() == 2
    finally:
        with main.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {migration.KEPT_AS}")
            cursor.execute("DROP TABLE IF EXISTS cases_intakereceipt")


def test_the_synchronous_intake_stores_a_photo_once(world, receive, settings, tmp_path):
    """With a key, through the receipt where the receipts are apart: the photo is stored
    with the receipt and attached to the case, once."""
    settings.MEDIA_ROOT = tmp_path
    case = receive.at_once(
        photos=[SimpleUploadedFile("a.jpg", JPEG)], idempotency_client="user:1", idempotency_key="p"
    )
    att = CaseAttachment.objects.get()
    assert att.case == case and att.action.verb == "report"
    assert (tmp_path / att.file.name).read_bytes() == JPEG
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [tmp_path / att.file.name]
    assert [a.pk for a in case.new_timeline[1]] == [att.pk]
