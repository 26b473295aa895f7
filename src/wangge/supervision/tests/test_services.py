import datetime as dt

import pytest
from django.utils import timezone

from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.events import subscribe, unsubscribe
from wangge.core.models import AuditEntry
from wangge.supervision import services
from wangge.supervision.choices import ProblemState, Verb
from wangge.supervision.models import Inspection, Problem, ProblemEvent

pytestmark = pytest.mark.django_db


def snapshot(problem):
    problem.refresh_from_db()
    return (
        problem.state,
        problem.rectification,
        problem.verified_at,
        problem.crossed_off_at,
        problem.events.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def events():
    got = []

    def on_inspection(**kw):
        got.append(("inspection", kw))

    def on_cross(**kw):
        got.append(("crossed_off", kw))

    def on_overdue(**kw):
        got.append(("overdue", kw))

    subscribe("supervision.inspection.recorded")(on_inspection)
    subscribe("supervision.problem.crossed_off")(on_cross)
    subscribe("supervision.problem.overdue")(on_overdue)
    yield got
    unsubscribe("supervision.inspection.recorded", on_inspection)
    unsubscribe("supervision.problem.crossed_off", on_cross)
    unsubscribe("supervision.problem.overdue", on_overdue)


def test_inspection_recorded_with_audit_and_event(territory, supervisor, today, events):
    insp = services.inspection_record(
        actor=supervisor,
        area=territory.village_a,
        inspected_on=today,
        checks=["reports_heard", "people_at_post"],
        staff_expected=4,
        staff_present=4,
    )
    assert insp.area_path == territory.village_a.path
    assert insp.inspector == supervisor
    assert AuditEntry.objects.filter(verb="supervision.inspection.record").count() == 1
    assert [name for name, _kw in events] == ["inspection"]
    kw = events[0][1]
    assert kw["inspection"] == insp and kw["actor"] == supervisor and kw["at"]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"checks": []}, "checks"),
        ({"checks": ["nonsense"]}, "checks"),
        ({"staff_expected": 3, "staff_present": 5}, "staff_present"),
        ({"staff_expected": -1}, "staff_expected"),
        ({"inspected_on": "2026-01-01"}, "inspected_on"),
    ],
)
def test_bad_inspection_changes_nothing(territory, supervisor, today, kwargs, field):
    data = {"inspected_on": today, "checks": ["reports_heard"], **kwargs}
    with pytest.raises(DomainError) as exc:
        services.inspection_record(actor=supervisor, area=territory.village_a, **data)
    assert exc.value.field == field
    assert not Inspection.objects.exists()
    assert not AuditEntry.objects.filter(verb__startswith="supervision").exists()


def test_future_inspection_refused(territory, supervisor, today):
    with pytest.raises(DomainError):
        services.inspection_record(
            actor=supervisor,
            area=territory.village_a,
            inspected_on=today + dt.timedelta(days=1),
            checks=["reports_heard"],
        )


def test_out_of_scope_supervisor_cannot_inspect(territory, supervisor_b, today):
    with pytest.raises(PermissionDenied):
        services.inspection_record(
            actor=supervisor_b,
            area=territory.village_a,
            inspected_on=today,
            checks=["reports_heard"],
        )


def test_problem_needs_a_responsible_person_of_the_area(inspection, supervisor, chief_b, today):
    with pytest.raises(DomainError) as exc:
        services.problem_create(
            actor=supervisor,
            inspection=inspection,
            description="x",
            responsible=chief_b,
            deadline=today,
        )
    assert exc.value.field == "responsible"
    with pytest.raises(DomainError) as exc:
        services.problem_create(
            actor=supervisor,
            inspection=inspection,
            description="  ",
            responsible=chief_b,
            deadline=today,
        )
    assert exc.value.field == "description"
    assert not Problem.objects.exists()


def test_past_deadline_refused(inspection, supervisor, chief_a, today):
    with pytest.raises(DomainError) as exc:
        services.problem_create(
            actor=supervisor,
            inspection=inspection,
            description="x",
            responsible=chief_a,
            deadline=today - dt.timedelta(days=1),
        )
    assert exc.value.field == "deadline"


def test_full_loop_rectify_verify_cross_off(problem, supervisor, chief_a, events):
    assert problem.area_path == problem.inspection.area_path
    services.problem_rectify(actor=chief_a, problem=problem, rectification="已补齐台账。")
    services.problem_verify(actor=supervisor, problem=problem, note="现场核实")
    services.problem_cross_off(actor=supervisor, problem=problem)
    problem.refresh_from_db()
    assert problem.state == ProblemState.CROSSED_OFF
    assert problem.crossed_off_by == supervisor
    verbs = list(problem.events.values_list("verb", flat=True))
    assert verbs == [Verb.CREATE, Verb.RECTIFY, Verb.VERIFY, Verb.CROSS_OFF]
    assert [n for n, _kw in events] == ["crossed_off"]
    assert events[0][1]["problem"].pk == problem.pk
    assert AuditEntry.objects.filter(verb__startswith="supervision.problem").count() == 4


def test_reject_sends_back_to_open_with_reason(problem, supervisor, chief_a):
    services.problem_rectify(actor=chief_a, problem=problem, rectification="done")
    with pytest.raises(DomainError):
        services.problem_reject(actor=supervisor, problem=problem, reason="")
    services.problem_reject(actor=supervisor, problem=problem, reason="台账仍缺两户")
    problem.refresh_from_db()
    assert problem.state == ProblemState.OPEN
    last = problem.events.last()
    assert last.verb == Verb.REJECT and last.note == "台账仍缺两户"


ALL_TRANSITIONS = {
    "rectify": lambda p, sup, resp: services.problem_rectify(
        actor=resp, problem=p, rectification="done"
    ),
    "verify": lambda p, sup, resp: services.problem_verify(actor=sup, problem=p),
    "reject": lambda p, sup, resp: services.problem_reject(actor=sup, problem=p, reason="no"),
    "cross_off": lambda p, sup, resp: services.problem_cross_off(actor=sup, problem=p),
}
ALLOWED = {
    ProblemState.OPEN: {"rectify"},
    ProblemState.RECTIFIED: {"verify", "reject"},
    ProblemState.VERIFIED: {"cross_off"},
    ProblemState.CROSSED_OFF: set(),
}
PATH_TO = {
    ProblemState.OPEN: [],
    ProblemState.RECTIFIED: ["rectify"],
    ProblemState.VERIFIED: ["rectify", "verify"],
    ProblemState.CROSSED_OFF: ["rectify", "verify", "cross_off"],
}


@pytest.mark.parametrize("state", list(ALLOWED))
def test_every_not_allowed_transition_is_refused(problem, supervisor, chief_a, state):
    for name in PATH_TO[state]:
        ALL_TRANSITIONS[name](problem, supervisor, chief_a)
    for name, fn in ALL_TRANSITIONS.items():
        if name in ALLOWED[state]:
            continue
        before = snapshot(problem)
        with pytest.raises(TransitionNotAllowed):
            fn(problem, supervisor, chief_a)
        assert snapshot(problem) == before, name


def test_only_the_responsible_rectifies(problem, supervisor, chief_b):
    for actor in (supervisor, chief_b):
        before = snapshot(problem)
        with pytest.raises(PermissionDenied):
            services.problem_rectify(actor=actor, problem=problem, rectification="x")
        assert snapshot(problem) == before


def test_responsible_cannot_verify_own_rectification(problem, chief_a):
    services.problem_rectify(actor=chief_a, problem=problem, rectification="x")
    with pytest.raises(PermissionDenied):
        services.problem_verify(actor=chief_a, problem=problem)


def test_follow_up_and_new_deadline(problem, supervisor, today):
    services.problem_follow_up(actor=supervisor, problem=problem, note="电话督办", remind=True)
    new = today + dt.timedelta(days=20)
    services.problem_follow_up(actor=supervisor, problem=problem, note="延期", deadline=new)
    problem.refresh_from_db()
    assert problem.deadline == new
    assert list(problem.events.values_list("verb", flat=True))[-2:] == [Verb.REMIND, Verb.DEADLINE]
    with pytest.raises(DomainError):
        services.problem_follow_up(actor=supervisor, problem=problem, note="")


def test_sweep_escalates_once_per_deadline(problem, supervisor, territory, today, events):
    from wangge.supervision.tasks import sweep

    later = timezone.now() + dt.timedelta(days=8)
    assert sweep(now=later) == {"overdue": 1}
    problem.refresh_from_db()
    assert problem.is_overdue and problem.escalated_to == territory.town
    state = (
        ProblemEvent.objects.count(),
        AuditEntry.objects.count(),
        problem.escalated_to_id,
    )
    # Running again (same day or later) changes nothing.
    assert sweep(now=later) == {"overdue": 0}
    assert sweep(now=later + dt.timedelta(days=3)) == {"overdue": 0}
    problem.refresh_from_db()
    assert (
        ProblemEvent.objects.count(),
        AuditEntry.objects.count(),
        problem.escalated_to_id,
    ) == state
    assert [n for n, _kw in events] == ["overdue"]
    # A new deadline that runs over escalates once more, one level further up.
    services.problem_follow_up(
        actor=supervisor, problem=problem, note="限期", deadline=timezone.localdate(later)
    )
    assert sweep(now=later + dt.timedelta(days=2)) == {"overdue": 1}
    problem.refresh_from_db()
    assert problem.escalated_to == territory.county
    assert [n for n, _kw in events] == ["overdue", "overdue"]


def test_sweep_ignores_rectified_and_timely(problem, chief_a):
    from wangge.supervision.tasks import sweep

    assert sweep() == {"overdue": 0}
    services.problem_rectify(actor=chief_a, problem=problem, rectification="x")
    assert sweep(now=timezone.now() + dt.timedelta(days=30)) == {"overdue": 0}


def test_problem_to_case(problem, supervisor, territory):
    from wangge.cases.models import Case
    from wangge.cases.services import ensure_default_categories

    ensure_default_categories()
    with pytest.raises(DomainError) as exc:
        services.problem_to_case(actor=supervisor, problem=problem)
    assert exc.value.field == "grid"
    with pytest.raises(DomainError):
        services.problem_to_case(actor=supervisor, problem=problem, grid=territory.grid_b1)
    services.problem_to_case(actor=supervisor, problem=problem, grid=territory.grid_a1)
    problem.refresh_from_db()
    case = Case.objects.get(pk=problem.case_id)
    assert case.source == "supervision" and case.number == problem.case_number
    with pytest.raises(TransitionNotAllowed):
        services.problem_to_case(actor=supervisor, problem=problem, grid=territory.grid_a1)
    assert Case.objects.count() == 1


def test_item_periods(territory, supervisor):
    item = services.item_create(
        actor=supervisor,
        area=territory.town,
        title="网格员在岗履职",
        period_kind="quarter",
        period="2026-Q4",
    )
    assert (item.start, item.end, item.period) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
        "2026-Q4",
    )
    with pytest.raises(DomainError):
        services.item_create(
            actor=supervisor, area=territory.town, title="x", period_kind="month", period="2026-13"
        )


def test_photos_must_be_images(territory, supervisor, today):
    from django.core.files.uploadedfile import SimpleUploadedFile

    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
    )
    data = {"area": territory.village_a, "inspected_on": today, "checks": ["site_visited"]}
    with pytest.raises(DomainError) as exc:
        services.inspection_record(
            actor=supervisor,
            photos=[SimpleUploadedFile("x.png", b"<html>not an image</html>")],
            **data,
        )
    assert exc.value.field == "photos"
    assert not Inspection.objects.exists()
    insp = services.inspection_record(
        actor=supervisor, photos=[SimpleUploadedFile("x.png", png)], **data
    )
    assert insp.photos.count() == 1
