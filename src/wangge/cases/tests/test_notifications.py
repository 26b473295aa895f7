import datetime as dt
import logging

import pytest

from wangge.cases import notify, services, tasks
from wangge.cases.models import Case, Notification

from .conftest import IN_A1

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _notes(user=None):
    qs = Notification.objects.order_by("id")
    if user is not None:
        qs = qs.filter(recipient=user)
    return [(n.recipient_id, n.verb) for n in qs]


def test_assignment_is_announced_on_commit_once(
    world, report, django_capture_on_commit_callbacks, immediate_tasks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = report(idempotency_client="qr", idempotency_key="k1")
    assert len(callbacks) == 1
    assert _notes() == [(world.worker_a1.pk, "assigned")]
    n = Notification.objects.get()
    assert case.number in n.text and n.read_at is None
    # The same request again (idempotent replay) announces nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        report(idempotency_client="qr", idempotency_key="k1")
    assert Notification.objects.count() == 1


def test_nothing_is_announced_when_the_transaction_rolls_back(
    world, report, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                report()
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert callbacks == [] and Notification.objects.count() == 0


def test_each_event_reaches_the_right_people(
    world, report, clock, django_capture_on_commit_callbacks, immediate_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = report()
    Notification.objects.all().delete()

    def run(fn, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            out = fn(**kw)
        got = _notes()
        Notification.objects.all().delete()
        return out, got

    # A patrol finding by the grid's own worker: they handle it, nobody is told.
    _c, got = run(
        services.case_report,
        actor=world.worker_a1,
        source="patrol",
        description="井盖缺失",
        category="environment",
        lat=IN_A1[0],
        lng=IN_A1[1],
        at=clock.now,
    )
    assert got == []

    _c, got = run(services.case_accept, case=case, actor=world.worker_a1)
    assert got == []
    _c, got = run(
        services.case_transfer, case=case, actor=world.chief_a, grid=world.t.grid_a2, reason="x"
    )
    assert got == [(world.worker_a2.pk, "transferred")]
    _c, got = run(services.case_escalate, case=case, actor=world.worker_a2, reason="大事")
    assert got == [(world.chief_a.pk, "escalated")]
    _c, got = run(
        services.case_dispatch, case=case, actor=world.chief_a, department=world.department
    )
    assert got == [(world.dept_staff.pk, "dispatched")]
    _c, got = run(
        services.case_return_from_department, case=case, actor=world.dept_staff, reason="非本部门"
    )
    assert got == [(world.chief_a.pk, "returned")]  # back to the chief who dispatched it
    case = Case.objects.get(pk=case.pk)
    assert case.handler_id == world.chief_a.pk

    # Reopen after an unsatisfied return visit: the handler and the first responder.
    services.case_transfer(case=case, actor=world.chief_a, handler=world.worker_a1, reason="y")
    services.case_resolve(case=case, actor=world.worker_a1, resolution="ok")
    Notification.objects.all().delete()
    _c, got = run(
        services.case_return_visit, case=case, actor=world.town_admin, satisfaction="unsatisfied"
    )
    assert got == [(world.worker_a1.pk, "reopened")]  # also the first responder, the same one


def test_returned_from_department_tells_the_dispatcher(
    world, report, django_capture_on_commit_callbacks
):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_dispatch(case=case, actor=world.chief_a, department=world.department)
    # The report's own notice (assigned) is written with the case; only what follows counts.
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_return_from_department(case=case, actor=world.dept_staff, reason="不归我们")
    assert _notes() == [(world.chief_a.pk, "returned")]


def test_overdue_sweep_notifies_once(world, report, clock, django_capture_on_commit_callbacks):
    case = report()
    later = clock.now + dt.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep(now=later)
    got = _notes()
    assert (world.worker_a1.pk, "overdue") in got
    assert (world.chief_a.pk, "escalated") in got
    assert len(got) == len(set(got))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep(now=later)
    assert _notes() == got  # idempotent: the second run tells nobody again
    assert Case.objects.get(pk=case.pk).warning == "red"


def test_log_sender_masks_the_phone(world, report, caplog, django_capture_on_commit_callbacks):
    world.worker_a1.phone = "13912345678"
    world.worker_a1.save()
    with django_capture_on_commit_callbacks(execute=True):
        report()
    with caplog.at_level(logging.INFO, logger="wangge.cases.notify"):
        assert notify.deliver(Notification.objects.values_list("pk", flat=True)) == 1
    assert "SMS to 139****5678:" in caplog.text
    assert "13912345678" not in caplog.text


class Broken:
    def send(self, notification):
        raise ConnectionError("gateway down")


class Recording:
    sent: list = []

    def send(self, notification):
        Recording.sent.append(notification.pk)


def test_a_failing_sender_is_logged_not_raised(
    world, report, settings, caplog, django_capture_on_commit_callbacks, immediate_tasks
):
    Recording.sent = []
    here = __name__
    settings.WANGGE_NOTIFY_SENDERS = [f"{here}.Broken", "no.such.Sender", f"{here}.Recording"]
    with caplog.at_level(logging.ERROR, logger="wangge.cases.notify"):
        with django_capture_on_commit_callbacks(execute=True):
            case = report()  # the request succeeds although the gateway is down
    assert case.pk and Notification.objects.count() == 1
    assert Recording.sent == [Notification.objects.get().pk]
    assert "gateway down" in caplog.text and "no.such.Sender" in caplog.text


def test_a_broken_queue_does_not_break_the_request(
    world, report, settings, caplog, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "no.such.QueueBackend"}}
    with caplog.at_level(logging.ERROR, logger="wangge.cases.notify"):
        with django_capture_on_commit_callbacks(execute=True):
            report()
    assert Notification.objects.count() == 1 and "could not queue" in caplog.text


def test_mask_phone():
    assert notify.mask_phone("13812348000") == "138****8000"
    assert notify.mask_phone("") == "-"
    assert notify.mask_phone("12345") == "*****"


def test_notification_pages(world, report, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report()
        report()
    mine = list(Notification.objects.filter(recipient=world.worker_a1))
    assert len(mine) == 2
    client.force_login(world.worker_a1)
    r = client.get("/cases/notifications/")
    assert r.status_code == 200 and len(r.context["page"].object_list) == 2
    assert r.context["unread"] == 2
    # htmx: the row comes back read.
    r = client.post(f"/cases/notifications/{mine[0].pk}/read/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b"unread" not in r.content
    assert Notification.objects.get(pk=mine[0].pk).read_at is not None
    r = client.get("/cases/notifications/", {"unread": 1})
    assert [n.pk for n in r.context["page"].object_list] == [mine[1].pk]
    # Someone else's notification: 404, as if it did not exist.
    client.force_login(world.chief_a)
    assert client.post(f"/cases/notifications/{mine[1].pk}/read/").status_code == 404
    assert Notification.objects.get(pk=mine[1].pk).read_at is None
    client.force_login(world.worker_a1)
    r = client.post("/cases/notifications/read/")
    assert r.status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True, recipient=world.worker_a1)


def test_unread_tag(world, report, rf, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template

    with django_capture_on_commit_callbacks(execute=True):
        report()
    tpl = Template("{% load cases_tags %}{% unread_notifications %}")
    request = rf.get("/")
    request.user = world.worker_a1
    html = tpl.render(Context({"request": request}))
    assert "/cases/notifications/" in html and "data-unread-count>1<" in html
    request.user = AnonymousUser()
    assert tpl.render(Context({"request": request})).strip() == ""
