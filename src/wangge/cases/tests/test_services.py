import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wangge.cases import services
from wangge.cases.choices import CaseState, Level, Verb
from wangge.cases.models import Case, CaseAction, CaseAttachment
from wangge.core.errors import DomainError, NotFound, PermissionDenied, TransitionNotAllowed
from wangge.core.models import AuditEntry

from .conftest import IN_A1, JPEG, PNG

pytestmark = pytest.mark.django_db


def snapshot(case):
    case = Case.objects.get(pk=case.pk)
    return (
        {
            f.attname: getattr(case, f.attname)
            for f in Case._meta.concrete_fields
            if f.attname != "updated_at"
        },
        CaseAction.objects.filter(case=case).count(),
        AuditEntry.objects.count(),
    )


def refused(exc_type, fn, case, **kw):
    """Call a service that must refuse, and check that nothing changed."""
    before = snapshot(case)
    with pytest.raises(exc_type):
        fn(case=case, **kw)
    assert snapshot(case) == before


# --- intake ---------------------------------------------------------------------------------


def test_report_locates_routes_numbers_and_records(world, report):
    case = report()
    assert case.grid == world.t.grid_a1
    assert case.area_path == world.t.grid_a1.path
    assert case.state == CaseState.REPORTED
    assert case.level == Level.GRID
    assert case.handler == world.worker_a1
    assert case.first_responder == world.worker_a1
    assert case.number == "2025000001"
    assert len(case.tracking_code) == 24  # the second it was made, then 96 random bits
    assert case.respond_by and case.resolve_by and case.warn_at
    assert case.respond_by < case.warn_at < case.resolve_by
    action = case.actions.get()
    assert (action.verb, action.to_state, action.is_public, action.actor_role) == (
        Verb.REPORT,
        CaseState.REPORTED,
        True,
        "public",
    )
    assert AuditEntry.objects.filter(verb="case.report", object_id=str(case.pk)).exists()
    assert report().number == "2025000002"


def test_report_by_staff_makes_them_first_responder(world, report):
    case = report(actor=world.chief_a, source="hotline", reporter_phone="")
    assert case.first_responder == world.chief_a
    assert case.handler == world.worker_a1  # routed to the grid worker on duty


def test_patrol_finding_stays_with_the_grid_worker(world, report):
    case = report(actor=world.worker_a2, source="patrol", point=(32.905, 115.815))
    assert case.handler == world.worker_a2 == case.first_responder


def test_staff_cannot_report_outside_their_scope(world, report):
    with pytest.raises(PermissionDenied):
        report(actor=world.outsider, source="staff")
    assert not Case.objects.exists()


def test_chosen_grid_or_household(world, report):
    from wangge.testing.factories import make_household

    case = report(lat=None, lng=None, point=(None, None), area=world.t.grid_b1)
    assert case.grid == world.t.grid_b1
    household = make_household(world.t.grid_a2)
    case = report(point=(None, None), household=household)
    assert case.grid == world.t.grid_a2 and case.household == household


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"point": (40.0, 116.4)}, "location"),
        ({"point": (None, None)}, "location"),
        ({"point": ("abc", "1")}, "location"),
        ({"category": "no-such-thing"}, "category"),
        ({"reporter_phone": ""}, "phone"),
        ({"reporter_phone": "12345"}, "phone"),
        ({"description": "x" * 4001}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "<p></p>"}, "description"),
        ({"urgency": "apocalyptic"}, "urgency"),
    ],
)
def test_report_refuses_bad_input(world, report, kwargs, field):
    with pytest.raises(DomainError) as exc:
        report(**kwargs)
    assert exc.value.field == field
    assert not Case.objects.exists()
    assert not CaseAction.objects.exists()


def test_report_refuses_village_as_grid(world, report):
    with pytest.raises(DomainError) as exc:
        report(point=(None, None), area=world.t.village_a)
    assert exc.value.field == "area"


def test_html_is_stripped(world, report):
    case = report(description="<script>alert(1)</script>井盖<b>丢了</b>", title="<i>井盖</i>")
    assert "<" not in case.description and "<" not in case.title
    assert "井盖丢了" in case.description


def test_photos_are_checked(world, report, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = report(photos=[SimpleUploadedFile("a.jpg", JPEG), SimpleUploadedFile("b.png", PNG)])
    kinds = sorted(CaseAttachment.objects.filter(case=case).values_list("content_type", flat=True))
    assert kinds == ["image/jpeg", "image/png"]

    with pytest.raises(DomainError) as exc:
        report(photos=[SimpleUploadedFile("evil.jpg", b"MZ\x90\x00 not an image")])
    assert exc.value.field == "photos"

    big = SimpleUploadedFile("big.jpg", JPEG + b"\x00" * (30 * 1024 * 1024))
    with pytest.raises(DomainError) as exc:
        report(photos=[big])
    assert "5 MB" in str(exc.value.message)

    streamed = io.BytesIO(JPEG + b"\x00" * (6 * 1024 * 1024))  # no .size: read and counted
    with pytest.raises(DomainError):
        report(photos=[streamed])
    assert Case.objects.count() == 1


def test_idempotency(world, report):
    first = report(idempotency_client="user:1", idempotency_key="k-1")
    again = report(idempotency_client="user:1", idempotency_key="k-1")
    assert again.pk == first.pk and again.replayed and not first.replayed
    assert Case.objects.count() == 1
    with pytest.raises(DomainError) as exc:
        report(idempotency_client="user:1", idempotency_key="k-1", description="另一件事")
    assert exc.value.code == "idempotency_conflict"
    other_client = report(idempotency_client="user:2", idempotency_key="k-1")
    assert other_client.pk != first.pk
    assert Case.objects.count() == 2


# --- the loop -------------------------------------------------------------------------------


def test_full_loop(world, report, clock):
    case = report()
    case = services.case_accept(case=case, actor=world.worker_a1)
    assert case.state == CaseState.ACCEPTED and case.accepted_at == clock.now
    case = services.case_add_note(case=case, actor=world.worker_a1, note="已到现场")
    assert case.state == CaseState.IN_PROGRESS
    case = services.case_resolve(case=case, actor=world.worker_a1, resolution="已更换灯泡")
    assert case.state == CaseState.RESOLVED and case.settled_level == Level.GRID
    case = services.case_return_visit(case=case, actor=world.chief_a, satisfaction="satisfied")
    case = services.case_close(case=case, actor=world.chief_a)
    assert case.state == CaseState.CLOSED
    verbs = list(case.actions.values_list("verb", flat=True))
    assert verbs == ["report", "accept", "note", "resolve", "return_visit", "close"]
    assert case.first_responder == world.worker_a1


def test_unsatisfied_return_visit_reopens_with_new_deadline(world, report, clock):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_resolve(case=case, actor=world.worker_a1, resolution="done")
    old_resolve_by = Case.objects.get(pk=case.pk).resolve_by
    clock.advance(days=10)
    case = services.case_return_visit(case=case, actor=world.chief_a, satisfaction="unsatisfied")
    assert case.state == CaseState.IN_PROGRESS
    assert case.resolve_by > old_resolve_by and case.resolved_at is None
    refused(TransitionNotAllowed, services.case_close, case, actor=world.chief_a)


def test_return_visit_not_by_the_handler(world, report):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_resolve(case=case, actor=world.worker_a1, resolution="done")
    refused(
        TransitionNotAllowed,
        services.case_return_visit,
        case,
        actor=world.worker_a1,
        satisfaction="satisfied",
    )
    refused(
        PermissionDenied,
        services.case_return_visit,
        case,
        actor=world.outsider,
        satisfaction="satisfied",
    )


def test_one_return_visit_per_resolution(world, report, clock):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_resolve(case=case, actor=world.worker_a1, resolution="done")
    clock.advance(hours=2)
    case = services.case_return_visit(case=case, actor=world.chief_a, satisfaction="unsatisfied")
    assert case.state == CaseState.IN_PROGRESS  # reopened
    clock.advance(hours=2)
    services.case_resolve(case=case, actor=world.worker_a1, resolution="done again")
    clock.advance(hours=2)
    # The new resolution is visited again; a second visit of the same resolution is refused
    # (it would count twice in the return-visit and satisfaction rates).
    case = services.case_return_visit(case=case, actor=world.chief_a, satisfaction="basically")
    assert case.state == CaseState.RESOLVED
    for who, answer in ((world.chief_a, "satisfied"), (world.town_admin, "unsatisfied")):
        refused(
            TransitionNotAllowed,
            services.case_return_visit,
            case,
            actor=who,
            satisfaction=answer,
        )
    visits = case.actions.filter(verb=Verb.RETURN_VISIT)
    assert list(visits.values_list("data__satisfaction", flat=True).order_by("id")) == [
        "unsatisfied",
        "basically",
    ]
    services.case_close(case=case, actor=world.chief_a)


@pytest.mark.parametrize("skew", [dt.timedelta(0), dt.timedelta(seconds=-1)])
def test_a_resolution_after_a_reopening_is_visited_and_closed(world, report, clock, skew):
    """The unsatisfied visit and the next resolution at the same instant (a frozen clock) or
    with the resolving server a second behind: the new resolution still gets its visit and
    the case closes (it compared the times and was left resolved for good)."""
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_resolve(case=case, actor=world.worker_a1, resolution="done")
    case = services.case_return_visit(case=case, actor=world.chief_a, satisfaction="unsatisfied")
    clock.advance(seconds=skew.total_seconds())
    case = services.case_resolve(case=case, actor=world.worker_a1, resolution="done again")
    assert (case.satisfaction, case.return_visited_at) == ("", None)
    assert not case.visited_since_resolved
    refused(TransitionNotAllowed, services.case_close, case, actor=world.chief_a)
    case = services.case_return_visit(case=case, actor=world.chief_a, satisfaction="satisfied")
    assert case.visited_since_resolved
    assert services.case_close(case=case, actor=world.chief_a).state == CaseState.CLOSED


def test_escalation_ladder(world, report):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    case = services.case_escalate(case=case, actor=world.worker_a1, reason="涉及多户")
    assert (case.level, case.handler) == (Level.VILLAGE, world.chief_a)
    case = services.case_escalate(case=case, actor=world.chief_a, reason="需要镇里协调")
    assert (case.level, case.handler) == (Level.TOWN, world.town_chief)
    case = services.case_escalate(case=case, actor=world.town_chief, reason="上交")
    assert (case.level, case.handler) == (Level.COUNTY, world.county_admin)
    refused(
        TransitionNotAllowed, services.case_escalate, case, actor=world.county_admin, reason="x"
    )
    action = case.actions.filter(verb="escalate").last()
    assert (action.from_level, action.to_level) == ("town", "county")
    # the former handler at the grid may no longer act on it
    refused(PermissionDenied, services.case_escalate, case, actor=world.worker_a1, reason="x")


def test_escalate_needs_a_reason(world, report):
    case = report()
    refused(DomainError, services.case_escalate, case, actor=world.worker_a1, reason=" ")


def test_dispatch_report_in_resolve(world, report):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    refused(
        PermissionDenied,
        services.case_dispatch,
        case,
        actor=world.worker_a1,
        department=world.department,
    )
    case = services.case_dispatch(case=case, actor=world.town_admin, department=world.department)
    assert case.department == world.department and case.state == CaseState.IN_PROGRESS
    refused(
        TransitionNotAllowed, services.case_resolve, case, actor=world.worker_a1, resolution="x"
    )
    refused(PermissionDenied, services.case_report_in, case, actor=world.worker_a1)
    case = services.case_report_in(case=case, actor=world.dept_staff)
    assert case.handler == world.dept_staff and case.department_reported_at
    refused(TransitionNotAllowed, services.case_report_in, case, actor=world.dept_staff)
    case = services.case_resolve(case=case, actor=world.dept_staff, resolution="已调解")
    assert case.state == CaseState.RESOLVED


def test_return_from_department(world, report):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_dispatch(case=case, actor=world.chief_a, department=world.department)
    refused(
        DomainError, services.case_return_from_department, case, actor=world.dept_staff, reason=""
    )
    case = services.case_return_from_department(
        case=case, actor=world.dept_staff, reason="不属于本部门职责"
    )
    assert case.department is None and case.handler == world.chief_a


def test_transfer_keeps_first_responder(world, report):
    case = report()
    case = services.case_transfer(
        case=case, actor=world.chief_a, grid=world.t.grid_a2, reason="位置在第二网格"
    )
    assert case.grid == world.t.grid_a2 and case.area_path == world.t.grid_a2.path
    assert case.handler == world.worker_a2
    assert case.first_responder == world.worker_a1
    refused(DomainError, services.case_transfer, case, actor=world.chief_a, reason="x")
    refused(
        DomainError,
        services.case_transfer,
        case,
        actor=world.chief_a,
        handler=world.outsider,
        reason="x",
    )


def test_merge_and_duplicates(world, report):
    from wangge.cases.selectors import suggest_duplicates

    original = report()
    dup = report(point=(IN_A1[0] + 0.001, IN_A1[1]))  # ~110 m away
    far = report(point=(32.905, 115.835))
    assert [c.pk for c in suggest_duplicates(dup)] == [original.pk]
    assert far.pk not in [c.pk for c in suggest_duplicates(original)]
    refused(PermissionDenied, services.case_merge, dup, actor=world.worker_a1, into=original)
    refused(DomainError, services.case_merge, dup, actor=world.chief_a, into=dup)
    dup = services.case_merge(case=dup, actor=world.chief_a, into=original)
    assert dup.state == CaseState.CLOSED and dup.merged_into == original
    refused(TransitionNotAllowed, services.case_merge, original, actor=world.chief_a, into=dup)


def test_reject(world, report):
    case = report()
    refused(DomainError, services.case_reject, case, actor=world.chief_a, reason="")
    refused(PermissionDenied, services.case_reject, case, actor=world.worker_a1, reason="x")
    case = services.case_reject(case=case, actor=world.chief_a, reason="不属于受理范围")
    assert case.state == CaseState.REJECTED
    for fn, kw in [
        (services.case_accept, {}),
        (services.case_resolve, {"resolution": "x"}),
        (services.case_escalate, {"reason": "x"}),
        (services.case_reject, {"reason": "x"}),
        (services.case_add_note, {"note": "x"}),
    ]:
        refused(TransitionNotAllowed, fn, case, actor=world.chief_a, **kw)


@pytest.mark.parametrize(
    "state_steps,fn,kw",
    [
        ([], services.case_resolve, {"resolution": "x"}),
        ([], services.case_close, {}),
        ([], services.case_request_help, {"note": "x"}),
        ([], services.case_dispatch, {"department": None}),
        (["accept"], services.case_accept, {}),
        (["accept"], services.case_return_visit, {"satisfaction": "satisfied"}),
        (["accept", "resolve"], services.case_resolve, {"resolution": "x"}),
        (["accept", "resolve"], services.case_close, {}),  # no return visit yet
        (["accept", "resolve"], services.case_escalate, {"reason": "x"}),
    ],
)
def test_transitions_not_allowed(world, report, state_steps, fn, kw):
    case = report()
    if "accept" in state_steps:
        services.case_accept(case=case, actor=world.worker_a1)
    if "resolve" in state_steps:
        services.case_resolve(case=case, actor=world.worker_a1, resolution="done")
    refused(TransitionNotAllowed, fn, case, actor=world.chief_a, **kw)


def test_request_help(world, report):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    case = services.case_request_help(
        case=case, actor=world.worker_a1, note="需要五老协助", helpers=[world.worker_a2]
    )
    assert case.state == CaseState.IN_PROGRESS
    assert case.actions.last().data["helpers"] == [world.worker_a2.pk]


def test_public_rating_once(world, report):
    case = report()
    with pytest.raises(TransitionNotAllowed):
        services.case_rate_public(tracking_code=case.tracking_code, satisfaction="satisfied")
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_resolve(case=case, actor=world.worker_a1, resolution="done")
    case = services.case_rate_public(tracking_code=case.tracking_code, satisfaction="basically")
    assert case.public_satisfaction == "basically"
    with pytest.raises(TransitionNotAllowed):
        services.case_rate_public(tracking_code=case.tracking_code, satisfaction="satisfied")
    with pytest.raises(NotFound):
        services.case_rate_public(tracking_code="forged-code-123", satisfaction="satisfied")


def test_accept_outside_scope_refused(world, report):
    case = report()
    refused(PermissionDenied, services.case_accept, case, actor=world.outsider)


def test_demo_open311_key_is_idempotent(db):
    a = services.ensure_demo_open311_key()
    b = services.ensure_demo_open311_key()
    assert a.pk == b.pk
    assert services.open311_client_for_key("demo-open311") == a
    assert services.open311_client_for_key("wrong") is None
    assert "demo-open311" not in a.key_hash


def test_response_on_time_flag(world, report, clock):
    case = report()
    clock.advance(days=5)
    services.case_accept(case=case, actor=world.worker_a1)
    assert case.actions.get(verb="accept").data["on_time"] is False


def test_number_sequence_restarts_each_year(world, report, clock):
    report()
    clock.now = clock.now.replace(year=2026, month=1, day=5)
    assert report(at=clock.now).number == "2026000001"


_ = dt


def test_tracking_codes_begin_with_their_second_and_sort_by_it(monkeypatch):
    """New codes go at the end of the unique indexes (see _new_tracking_code), and the rest
    of each is random."""
    import re
    import time

    from wangge.cases import services

    now = 1_790_000_000
    monkeypatch.setattr(time, "time", lambda: now + 0.75)
    same_second = {services._new_tracking_code() for _ in range(200)}
    monkeypatch.setattr(time, "time", lambda: now + 1.25)
    later = services._new_tracking_code()
    assert len(same_second) == 200
    assert all(re.fullmatch(r"[0-9a-f]{8}[A-Za-z0-9_-]{16}", c) for c in same_second | {later})
    assert {c[:8] for c in same_second} == {f"{now:08x}"} and later[:8] == f"{now + 1:08x}"
    assert all(c < later for c in same_second)
    assert len({c[8:] for c in same_second}) == 200  # no two alike after the time
