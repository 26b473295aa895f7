"""The daily report 日报告 and the daily close: compliance against the "2348" norm (and the
overrides of a town and a village), leave and rest days excused, idempotent close, missed
days caught up, the day.closed event once per report, and a recount that agrees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time

from wangge.accounts.models import Leave
from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.events import subscribe, unsubscribe
from wangge.fieldwork import compliance, services, tasks
from wangge.fieldwork.choices import ReportStatus, VisitKind
from wangge.fieldwork.models import ClosedDay, DailyReport

from .conftest import at

DAY = dt.date(2026, 6, 15)  # a Monday, a workday
SATURDAY = dt.date(2026, 6, 13)
NEXT_MORNING = "2026-06-16 09:00:00+08:00"


@pytest.fixture
def closed_events():
    seen = []

    def handler(**payload):
        seen.append(payload)

    subscribe("fieldwork.day.closed")(handler)
    yield seen
    unsubscribe("fieldwork.day.closed", handler)


def _full_day(fw, day=DAY):
    """The worker meets 2348 on `day`: 2 patrols, 3 kinds of visit, 4 tasks, 8.75 hours."""
    with freeze_time(at(day, 17)):
        p = services.patrol_start(actor=fw.worker, at=at(day, 8))
        services.patrol_stop(actor=fw.worker, patrol=p, at=at(day, 10))
        p = services.patrol_start(actor=fw.worker, at=at(day, 14))
        services.patrol_stop(actor=fw.worker, patrol=p, at=at(day, 16, 30))
        for hour, kind in ((10, VisitKind.ACQUAINT), (11, VisitKind.CALL_ON)):
            services.visit_record(actor=fw.worker, household=fw.h1, kind=kind, at=at(day, hour))
        services.visit_record(
            actor=fw.worker, household=fw.h2, kind=VisitKind.HELP, at=at(day, 16, 45)
        )
        services.report_save(actor=fw.worker, day=day, notes="宣传防汛知识", extra_tasks=4)


def test_draft_follows_the_day_and_submit(fw):
    _full_day(fw)
    report = DailyReport.objects.get(worker=fw.worker, day=DAY)
    assert report.status == ReportStatus.DRAFT
    assert (report.patrols, report.visit_kinds, report.tasks, report.hours) == (
        2,
        3,
        4,
        Decimal("8.8"),
    )
    assert report.patrol_minutes == 120 + 150
    assert report.visits_by_kind == {"acquaint": 1, "call_on": 1, "help": 1}
    with freeze_time(at(DAY, 18)):
        report = services.report_save(actor=fw.worker, day=DAY, submit=True)
    assert report.status == ReportStatus.SUBMITTED and report.notes == "宣传防汛知识"


def test_close_day_measures_compliance_once(fw, closed_events):
    _full_day(fw)
    with freeze_time(NEXT_MORNING):
        assert services.close_day(day=DAY) == 2  # worker and worker_b
        mine = DailyReport.objects.get(worker=fw.worker, day=DAY)
        other = DailyReport.objects.get(worker=fw.worker_b, day=DAY)
        assert mine.status == other.status == ReportStatus.CLOSED
        assert mine.required and mine.compliant and mine.missing == {}
        assert mine.notes == "宣传防汛知识"
        assert other.compliant is False
        assert other.missing == {"patrols": 2, "visit_kinds": 3, "tasks": 4, "hours": 8.0}
        assert other.area == fw.t.grid_b1 and other.area_path == fw.t.grid_b1.path
        assert [e["report"].pk for e in closed_events] == sorted(
            [mine.pk, other.pk], key=lambda pk: DailyReport.objects.get(pk=pk).worker_id
        )
        assert all(e["at"] == timezone.now() for e in closed_events)
        before = list(DailyReport.objects.order_by("id").values())
        assert services.close_day(day=DAY) == 0
        assert list(DailyReport.objects.order_by("id").values()) == before
    assert len(closed_events) == 2


def test_closed_report_agrees_with_a_recount(fw):
    _full_day(fw)
    with freeze_time(NEXT_MORNING):
        services.close_days()
    for report in DailyReport.objects.filter(day=DAY):
        stats = compliance.day_stats(
            [report.worker_id], DAY, extra_tasks={report.worker_id: report.extra_tasks}
        )[report.worker_id]
        values = stats.as_values()
        for key, value in values.items():
            assert getattr(report, key) == value, key
        norm = compliance.norm_for_path(report.area_path)
        assert (report.compliant, report.missing) == compliance.evaluate(stats, norm)


def test_closed_report_cannot_change(fw):
    _full_day(fw)
    with freeze_time(NEXT_MORNING):
        services.close_day(day=DAY)
        with pytest.raises(TransitionNotAllowed):
            services.report_save(actor=fw.worker, day=DAY, notes="改")
    assert DailyReport.objects.get(worker=fw.worker, day=DAY).notes == "宣传防汛知识"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"day": dt.date(2026, 6, 17)}, DomainError),
        ({"extra_tasks": 21}, DomainError),
        ({"extra_tasks": "many"}, DomainError),
        ({"notes": "x" * 4001}, DomainError),
    ],
)
def test_bad_report_input_changes_nothing(fw, kwargs, error):
    with freeze_time(NEXT_MORNING):
        with pytest.raises(error):
            services.report_save(actor=fw.worker, **{"day": DAY, **kwargs})
    assert not DailyReport.objects.exists()


def test_only_grid_workers_write_reports(fw):
    with freeze_time(NEXT_MORNING), pytest.raises(PermissionDenied):
        services.report_save(actor=fw.chief, day=DAY, notes="…")
    assert not DailyReport.objects.exists()


def test_leave_excuses_the_day(fw, closed_events):
    Leave.objects.create(user=fw.worker_b, start=at(DAY, 0), end=at(DAY + dt.timedelta(days=1), 0))
    with freeze_time(NEXT_MORNING):
        services.close_day(day=DAY)
    other = DailyReport.objects.get(worker=fw.worker_b, day=DAY)
    assert other.on_leave and not other.required
    assert other.compliant is True and other.missing == {}


def test_rest_day_holds_nobody_but_closes_what_was_written(fw):
    with freeze_time(at(SATURDAY, 12)):
        p = services.patrol_start(actor=fw.worker, at=at(SATURDAY, 9))
        services.patrol_stop(actor=fw.worker, patrol=p, at=at(SATURDAY, 10))
        services.report_save(actor=fw.worker, day=SATURDAY, notes="周末值守")
    with freeze_time(NEXT_MORNING):
        assert services.close_day(day=SATURDAY) == 1
    report = DailyReport.objects.get()
    assert report.worker == fw.worker and not report.is_workday and not report.required
    assert report.patrols == 1 and report.status == ReportStatus.CLOSED


def test_norm_overrides_town_then_village(fw):
    services.norm_set(actor=None, area=fw.t.county, patrols=2, visit_kinds=3, tasks=4, hours=8)
    services.norm_set(actor=fw.town, area=fw.t.town, patrols=3, visit_kinds=2, tasks=4, hours=8)
    services.norm_set(
        actor=fw.chief, area=fw.t.village_a, patrols=1, visit_kinds=1, tasks=0, hours=0
    )
    assert compliance.norm_for_path(fw.t.grid_a1.path)["patrols"] == 1
    assert compliance.norm_for_path(fw.t.grid_b1.path) == {
        "patrols": 3,
        "visit_kinds": 2,
        "tasks": 4,
        "hours": 8.0,
    }
    with freeze_time(at(DAY, 12)):
        p = services.patrol_start(actor=fw.worker, at=at(DAY, 9))
        services.patrol_stop(actor=fw.worker, patrol=p, at=at(DAY, 10))
        services.visit_record(actor=fw.worker, household=fw.h1, kind=VisitKind.HELP)
    with freeze_time(NEXT_MORNING):
        services.close_day(day=DAY)
    mine = DailyReport.objects.get(worker=fw.worker)
    assert mine.compliant and mine.norm["patrols"] == 1
    assert DailyReport.objects.get(worker=fw.worker_b).missing["patrols"] == 3


def test_norms_are_checked(fw):
    with pytest.raises(PermissionDenied):
        services.norm_set(
            actor=fw.worker, area=fw.t.village_a, patrols=1, visit_kinds=1, tasks=1, hours=1
        )
    with pytest.raises(PermissionDenied):  # the village A chief cannot set village B's norm
        services.norm_set(
            actor=fw.chief, area=fw.t.village_b, patrols=1, visit_kinds=1, tasks=1, hours=1
        )
    for bad in (
        {"patrols": -1},
        {"visit_kinds": 4},
        {"hours": "abc"},
        {"hours": 25},
        {"tasks": "x"},
    ):
        values = {"patrols": 2, "visit_kinds": 3, "tasks": 4, "hours": 8, **bad}
        with pytest.raises(DomainError):
            services.norm_set(actor=fw.town, area=fw.t.town, **values)
    with pytest.raises(DomainError):
        services.norm_set(
            actor=fw.town, area=fw.t.grid_a1, patrols=1, visit_kinds=1, tasks=1, hours=1
        )
    from wangge.fieldwork.models import DailyNorm

    assert not DailyNorm.objects.exists()


def test_close_days_catches_up_and_is_idempotent(fw, closed_events, settings):
    ClosedDay.objects.create(day=dt.date(2026, 6, 10), closed_at=at(dt.date(2026, 6, 11), 1))
    with freeze_time(NEXT_MORNING):
        result = services.close_days()
        assert result["days"] == 5  # 11th … 15th
        # 11, 12, 15 are workdays for both workers; 13 and 14 the weekend.
        assert DailyReport.objects.count() == result["reports"] == 6
        assert services.close_days() == {"days": 0, "reports": 0}
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        assert tasks.close_days.enqueue().return_value == {"days": 0, "reports": 0}
    assert len(closed_events) == 6
    assert ClosedDay.objects.filter(day__gt=dt.date(2026, 6, 10)).count() == 5


def test_first_run_closes_only_yesterday(fw):
    with freeze_time(NEXT_MORNING):
        assert services.close_days() == {"days": 1, "reports": 2}
    assert set(DailyReport.objects.values_list("day", flat=True)) == {DAY}


def test_a_day_not_over_cannot_be_closed(fw):
    with freeze_time(at(DAY, 20)), pytest.raises(DomainError):
        services.close_day(day=DAY)
