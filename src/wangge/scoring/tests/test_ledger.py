"""The ledger: each rule fires once per source even when the event comes twice; caps; manual
and reversing entries; immutability; late entries for an assessed month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.events import emit
from wangge.scoring import services
from wangge.scoring.models import ClosedPeriod, ImmutableEntry, PointEntry, PointRule

from .conftest import patrol

pytestmark = pytest.mark.django_db


def _entries(**kw):
    return list(PointEntry.objects.filter(**kw).order_by("id"))


def test_case_closed_on_time_writes_once_even_when_announced_twice(world, loop):
    case = loop()
    worker = _entries(rule__code="case_on_time")
    village = _entries(rule__code="village_case_on_time")
    assert [(e.subject_kind, e.subject_id, e.points) for e in worker] == [
        ("user", world.worker_a1.pk, Decimal("2"))
    ]
    assert [(e.subject_id, e.area_path) for e in village] == [
        (world.t.village_a.pk, world.t.village_a.path)
    ]
    assert worker[0].source_type == "cases.case" and worker[0].source_id == case.pk
    before = PointEntry.objects.count()
    emit("case.closed", case=case, actor=world.chief_a, at=timezone.now())
    emit("case.closed", case=case, actor=world.chief_a, at=timezone.now())
    assert PointEntry.objects.count() == before


def test_late_resolution_earns_nothing(world, loop):
    loop(resolve_after_hours=24 * 30)
    assert not _entries(rule__code="case_on_time")


def test_unsatisfied_visit_costs_the_resolver_once(world, loop):
    case = loop(satisfaction="unsatisfied")
    e = _entries(rule__code="case_unsatisfied")
    assert [(x.subject_id, x.points) for x in e] == [(world.worker_a1.pk, Decimal("-3"))]
    assert len(_entries(rule__code="village_case_unsatisfied")) == 1
    emit(
        "case.return_visit",
        case=case,
        actor=world.chief_a,
        at=timezone.now(),
        satisfaction="unsatisfied",
    )
    assert len(_entries(rule__code="case_unsatisfied")) == 1


def test_overdue_costs_the_first_responder(world, clock, report):
    from wangge.cases import services as cs

    case = report()
    clock.advance(days=30)
    assert cs.case_escalate_overdue(case_id=case.pk, now=clock.now)
    e = _entries(rule__code="case_overdue")
    assert [(x.subject_id, x.points) for x in e] == [(case.first_responder_id, Decimal("-2"))]
    assert len(_entries(rule__code="village_case_overdue")) == 1
    emit("case.overdue", case=case, at=clock.now)
    assert len(_entries(rule__code="case_overdue")) == 1


def test_party_needs_and_meetings(world):
    from wangge.party import services as ps
    from wangge.party.choices import OrgKind
    from wangge.testing.factories import make_household

    t = world.t
    town = ps.org_create(
        actor=None, parent=None, name="镇党委", kind=OrgKind.TOWN_COMMITTEE, area=t.town
    )
    village = ps.org_create(
        actor=None, parent=town, name="村党委", kind=OrgKind.VILLAGE_COMMITTEE, area=t.village_a
    )
    org = ps.org_create(
        actor=None, parent=village, name="支部", kind=OrgKind.GRID_BRANCH, area=t.grid_a1
    )
    m1 = ps.member_create(actor=None, org=org, name="党员甲", join_date=dt.date(2000, 1, 1))
    m2 = ps.member_create(actor=None, org=org, name="党员乙", join_date=dt.date(2000, 1, 1))
    need = ps.need_create(actor=None, household=make_household(t.grid_a1), description="修水管")
    ps.need_claim(actor=None, need=need, member=m1)
    ps.need_fulfil(actor=None, need=need, result="修好")
    meeting = ps.meeting_record(
        actor=None,
        org=org,
        kind="members_meeting",
        date=dt.date(2025, 9, 1),
        topic="学习",
        present=[m1, m2],
    )
    assert {(e.rule.code, e.subject_id) for e in PointEntry.objects.select_related("rule")} == {
        ("need_claimed", m1.pk),
        ("need_fulfilled", m1.pk),
        ("meeting_attended", m1.pk),
        ("meeting_attended", m2.pk),
        ("branch_meeting_held", org.pk),
    }
    emit("party.meeting.recorded", meeting=meeting, present=[m1, m2], actor=None, at=None)
    emit("party.need.claimed", need=need, member=m1, actor=None, at=None)
    assert PointEntry.objects.count() == 5


def test_fieldwork_and_supervision_events_with_stand_ins(world):
    t, w = world.t, world.worker_a1
    emit("fieldwork.patrol.finished", patrol=patrol(1, w, t.grid_a1), actor=w, at=None)
    emit("fieldwork.patrol.finished", patrol=patrol(1, w, t.grid_a1), actor=w, at=None)
    visit = SimpleNamespace(
        pk=7, visitor_id=w.pk, area_path=t.grid_a1.path, visited_at=timezone.now()
    )
    emit("fieldwork.visit.recorded", visit=visit, actor=w, at=None)
    ok = SimpleNamespace(
        pk=3,
        worker=w,
        day=dt.date(2025, 9, 1),
        area_path=t.grid_a1.path,
        compliant=True,
        missing={},
    )
    bad = SimpleNamespace(
        pk=4,
        worker=w,
        day=dt.date(2025, 9, 2),
        area_path=t.grid_a1.path,
        compliant=False,
        missing={"patrols": 1},
    )
    emit("fieldwork.day.closed", report=ok, at=None)
    emit("fieldwork.day.closed", report=bad, at=None)
    insp = SimpleNamespace(
        pk=9,
        area_path=t.village_a.path,
        inspected_on=dt.date(2025, 9, 3),
        staff_expected=4,
        staff_present=3,
    )
    emit("supervision.inspection.recorded", inspection=insp, actor=None, at=None)
    prob = SimpleNamespace(
        pk=11,
        responsible=world.chief_a,
        area_path=t.village_a.path,
        description="台账不全",
        crossed_off_at=timezone.now(),
        overdue_for=dt.date(2025, 9, 10),
        deadline=dt.date(2025, 9, 10),
    )
    emit("supervision.problem.crossed_off", problem=prob, actor=None, at=None)
    emit("supervision.problem.overdue", problem=prob, at=None)
    emit("supervision.problem.overdue", problem=prob, at=None)
    got = sorted(
        (e.rule.code, e.subject_id, str(e.points), e.source_type, e.source_id)
        for e in PointEntry.objects.select_related("rule")
    )
    assert got == sorted(
        [
            ("patrol_done", w.pk, "0.5", "fieldwork.patrol", 1),
            ("visit_done", w.pk, "0.5", "fieldwork.visit", 7),
            ("daily_norm_missed", w.pk, "-1.0", "fieldwork.dailyreport", 4),
            ("inspection_absent", t.village_a.pk, "-2.0", "supervision.inspection", 9),
            ("problem_crossed_off", world.chief_a.pk, "2.0", "supervision.problem", 11),
            ("problem_overdue", world.chief_a.pk, "-3.0", "supervision.problem", 11),
            ("village_problem_overdue", t.village_a.pk, "-2.0", "supervision.problem", 11),
        ]
    )
    overdue = PointEntry.objects.get(rule__code="problem_overdue")
    assert overdue.day == dt.date(2025, 9, 11)


def test_cap_per_month_writes_the_rest_with_zero_points_and_a_note(world):
    rule = PointRule.objects.get(code="patrol_done")
    rule.cap = Decimal("1.2")
    rule.save()
    t, w = world.t, world.worker_a1
    for pk in range(1, 5):
        emit("fieldwork.patrol.finished", patrol=patrol(pk, w, t.grid_a1), actor=w, at=None)
    # Another month starts a new cap.
    emit(
        "fieldwork.patrol.finished",
        patrol=patrol(5, w, t.grid_a1, dt.date(2025, 10, 2)),
        actor=w,
        at=None,
    )
    points = [str(e.points) for e in PointEntry.objects.order_by("source_id")]
    assert points == ["0.5", "0.5", "0.2", "0.0", "0.5"]
    notes = [e.note for e in PointEntry.objects.order_by("source_id")]
    assert notes[0] == "" and notes[2] and notes[3]


def test_entries_cannot_be_changed_or_deleted(world, loop):
    loop()
    e = PointEntry.objects.get(rule__code="case_on_time")
    e.points = Decimal("99")
    with pytest.raises(ImmutableEntry):
        e.save()
    with pytest.raises(ImmutableEntry):
        e.delete()
    with pytest.raises(ImmutableEntry):
        PointEntry.objects.filter(pk=e.pk).update(points=5)
    with pytest.raises(ImmutableEntry):
        PointEntry.objects.filter(pk=e.pk).delete()
    assert PointEntry.objects.get(pk=e.pk).points == Decimal("2")
    # The one exception: the restructuring of the area tree rewrites the scope path.
    assert PointEntry.objects.filter(pk=e.pk).update(area_path=e.area_path) == 1


def test_manual_entry_needs_a_reason_and_a_manual_rule(world):
    commend = PointRule.objects.get(code="commendation")
    for bad in ("", "   ", None):
        with pytest.raises(DomainError) as exc:
            services.entry_create_manual(
                actor=world.town_admin, rule=commend, subject_id=world.worker_a1.pk, reason=bad
            )
        assert exc.value.field == "reason"
    with pytest.raises(DomainError):
        services.entry_create_manual(
            actor=world.town_admin,
            rule=PointRule.objects.get(code="case_on_time"),
            subject_id=world.worker_a1.pk,
            reason="x",
        )
    with pytest.raises(DomainError):
        services.entry_create_manual(
            actor=world.town_admin,
            rule=commend,
            subject_id=world.worker_a1.pk,
            reason="好",
            day=timezone.localdate() + dt.timedelta(days=3),
        )
    # A grid worker has no MANAGE_POINTS.
    with pytest.raises(PermissionDenied):
        services.entry_create_manual(
            actor=world.worker_b1, rule=commend, subject_id=world.worker_a1.pk, reason="好"
        )
    assert PointEntry.objects.count() == 0
    e = services.entry_create_manual(
        actor=world.town_admin, rule=commend, subject_id=world.worker_a1.pk, reason="防汛表现突出"
    )
    assert (e.points, e.subject_name, e.area_path) == (
        Decimal("5"),
        world.worker_a1.full_name,
        world.t.grid_a1.path,
    )


def test_reversing_entry(world, loop):
    loop()
    e = PointEntry.objects.get(rule__code="case_on_time")
    with pytest.raises(DomainError):
        services.entry_reverse(actor=world.town_admin, entry=e, reason="")
    with pytest.raises(PermissionDenied):
        services.entry_reverse(actor=world.worker_a1, entry=e, reason="错了")
    r = services.entry_reverse(actor=world.town_admin, entry=e, reason="回访记录有误")
    assert (r.points, r.reverses_id, r.source_type, r.source_id) == (
        Decimal("-2"),
        e.pk,
        "scoring.pointentry",
        e.pk,
    )
    with pytest.raises(TransitionNotAllowed):
        services.entry_reverse(actor=world.town_admin, entry=e, reason="again")
    with pytest.raises(TransitionNotAllowed):
        services.entry_reverse(actor=world.town_admin, entry=r, reason="undo")
    total = sum(
        x.points
        for x in PointEntry.objects.filter(subject_id=world.worker_a1.pk, subject_kind="user")
    )
    assert total == 0


def test_late_entry_for_an_assessed_month_is_booked_in_the_open_period(world):
    ClosedPeriod.objects.create(month=dt.date(2025, 9, 1))
    t, w = world.t, world.worker_a1
    emit("fieldwork.patrol.finished", patrol=patrol(1, w, t.grid_a1), actor=w, at=None)
    e = PointEntry.objects.get()
    assert e.event_day == dt.date(2025, 9, 29)
    assert e.day == timezone.localdate()
    assert "2025-09-29" in e.note


def test_bulk_write_path_is_exactly_once_too(world):
    from wangge.scoring import triggers as T

    w, grid = world.worker_a1, world.t.grid_a1
    hits = [
        h
        for i in range(600)
        for h in T.patrol_hits(i + 1, w.pk, grid.path, dt.date(2025, 1 + i % 12, 1 + i % 28))
    ]
    planned = services.plan_entries(hits)
    assert services.write_planned(planned) == 600
    services.write_planned(planned)  # replayed: the database skips every row
    assert PointEntry.objects.count() == 600
    assert services.record_hits(hits) == 0
    # The monthly cap of 20 points (0.5 a patrol) holds in the bulk path as well.
    by_month = {}
    for e in PointEntry.objects.all():
        by_month[e.month] = by_month.get(e.month, 0) + e.points
    assert max(by_month.values()) == Decimal("20")
    e = PointEntry.objects.order_by("day", "source_id").first()
    assert (e.year, e.quarter, e.month) == (2025, 1, 1)


def test_automatic_reasons_are_kept_in_the_site_language(territory):
    """An entry triggered from an English page (or a task with no language) still reads in
    Chinese in the ledger, and a missed norm names the norms in words, not keys."""
    from django.utils import translation

    from wangge.testing.factories import user_with_post

    worker = user_with_post(territory.grid_a1, "grid_worker")
    report = SimpleNamespace(
        pk=7,
        worker_id=worker.pk,
        area_path=territory.grid_a1.path,
        day=dt.date(2025, 9, 29),
        compliant=False,
        missing={"tasks": 2, "hours": 3.5},
    )
    with translation.override("en"):
        emit("fieldwork.patrol.finished", patrol=patrol(1, worker, territory.grid_a1), at=None)
        emit("fieldwork.day.closed", report=report, at=None)
    reasons = sorted(
        PointEntry.objects.filter(subject_id=worker.pk).values_list("reason", flat=True)
    )
    assert any("完成巡查" in r for r in reasons), reasons
    assert any("未达每日工作规范" in r and "工作任务" in r and "时长" in r for r in reasons), (
        reasons
    )
    assert not any("tasks" in r or "Patrol" in r for r in reasons), reasons
