"""The scoring app listens to what the other apps record (wangge.core.events) and writes
the automatic ledger entries in the same transaction. Each handler turns the event into
hits (scoring.triggers) and records them at most once per rule, subject and source."""

from __future__ import annotations

from wangge.core.events import subscribe

from . import triggers as T
from .services import record_hits


def _case_number(case):
    return getattr(case, "number", "") or str(case.pk)


@subscribe("case.closed")
def on_case_closed(*, case, at=None, **_):
    resolver, on_time = T.last_resolution(case)
    if on_time:
        record_hits(
            T.case_hits(
                "case.closed_on_time",
                case.pk,
                _case_number(case),
                case.area_path,
                resolver or case.handler_id,
                T.local_day(getattr(case, "closed_at", None) or at),
            )
        )


@subscribe("case.return_visit")
def on_case_return_visit(*, case, satisfaction, at=None, **_):
    if satisfaction != "unsatisfied":
        return
    resolver, _on_time = T.last_resolution(case)
    record_hits(
        T.case_hits(
            "case.unsatisfied",
            case.pk,
            _case_number(case),
            case.area_path,
            resolver,
            T.local_day(at),
        )
    )


@subscribe("case.overdue")
def on_case_overdue(*, case, at=None, **_):
    record_hits(
        T.case_hits(
            "case.overdue",
            case.pk,
            _case_number(case),
            case.area_path,
            case.first_responder_id,
            T.local_day(at),
        )
    )


@subscribe("party.need.claimed")
def on_need_claimed(*, need, member, at=None, **_):
    if member is None:
        return
    record_hits(
        T.need_hits(
            "party.need.claimed",
            need.pk,
            member.pk,
            member.area_path,
            T.local_day(getattr(need, "claimed_at", None) or at),
            need.description,
        )
    )


@subscribe("party.need.fulfilled")
def on_need_fulfilled(*, need, member, at=None, **_):
    if member is None:
        return
    record_hits(
        T.need_hits(
            "party.need.fulfilled",
            need.pk,
            member.pk,
            member.area_path,
            T.local_day(getattr(need, "fulfilled_at", None) or at),
            need.description,
        )
    )


@subscribe("party.meeting.recorded")
def on_meeting_recorded(*, meeting, present=(), **_):
    org = meeting.org
    record_hits(
        T.meeting_hits(
            meeting.pk,
            org.pk,
            org.area_path,
            meeting.date,
            meeting.topic,
            [(m.pk, m.area_path) for m in present or ()],
        )
    )


@subscribe("fieldwork.patrol.finished")
def on_patrol_finished(*, patrol, at=None, **_):
    record_hits(
        T.patrol_hits(
            patrol.pk,
            getattr(patrol, "worker_id", None),
            getattr(patrol, "area_path", ""),
            T.local_day(getattr(patrol, "ended_at", None) or at),
        )
    )


@subscribe("fieldwork.visit.recorded")
def on_visit_recorded(*, visit, at=None, **_):
    record_hits(
        T.visit_hits(
            visit.pk,
            getattr(visit, "visitor_id", None),
            getattr(visit, "area_path", ""),
            T.local_day(getattr(visit, "visited_at", None) or at),
        )
    )


@subscribe("fieldwork.day.closed")
def on_day_closed(*, report, at=None, **_):
    worker = getattr(report, "worker_id", None) or getattr(
        getattr(report, "worker", None), "pk", None
    )
    record_hits(
        T.day_hits(
            report.pk,
            worker,
            getattr(report, "area_path", ""),
            getattr(report, "day", None) or T.local_day(at),
            getattr(report, "compliant", None),
            getattr(report, "missing", None),
        )
    )


@subscribe("supervision.inspection.recorded")
def on_inspection_recorded(*, inspection, at=None, **_):
    day = getattr(inspection, "inspected_on", None) or T.local_day(at)
    record_hits(
        T.inspection_hits(
            inspection.pk,
            getattr(inspection, "area_path", ""),
            day,
            getattr(inspection, "staff_expected", None),
            getattr(inspection, "staff_present", None),
        )
    )


def _responsible(problem):
    return getattr(problem, "responsible_id", None) or getattr(
        getattr(problem, "responsible", None), "pk", None
    )


@subscribe("supervision.problem.crossed_off")
def on_problem_crossed_off(*, problem, at=None, **_):
    record_hits(
        T.problem_hits(
            "supervision.problem.crossed_off",
            problem.pk,
            _responsible(problem),
            getattr(problem, "area_path", ""),
            T.local_day(getattr(problem, "crossed_off_at", None) or at),
            getattr(problem, "description", ""),
        )
    )


@subscribe("supervision.problem.overdue")
def on_problem_overdue(*, problem, at=None, **_):
    record_hits(
        T.problem_hits(
            "supervision.problem.overdue",
            problem.pk,
            _responsible(problem),
            getattr(problem, "area_path", ""),
            T._problem_overdue_day(problem, at),
            getattr(problem, "description", ""),
        )
    )
