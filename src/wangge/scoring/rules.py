"""Default point rules 积分规则 (from the seeds: 积分制管理，与薪酬挂钩; 以分定绩) and the
period arithmetic of the ledger and the assessments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .choices import CapPeriod, PeriodKind, SubjectKind, Trigger

U, M, V, B = SubjectKind.USER, SubjectKind.MEMBER, SubjectKind.VILLAGE, SubjectKind.BRANCH
A, H = Trigger.AUTOMATIC, Trigger.MANUAL

# (code, name, subject kind, points, trigger, event, cap period, cap)
DEFAULT_RULES = [
    ("case_on_time", "事件按时办结", U, "2", A, "case.closed_on_time", "", None),
    ("case_overdue", "事件超时未办结", U, "-2", A, "case.overdue", "", None),
    ("case_unsatisfied", "回访不满意", U, "-3", A, "case.unsatisfied", "", None),
    ("village_case_on_time", "村事件按时办结", V, "0.5", A, "case.closed_on_time", "", None),
    ("village_case_overdue", "村事件超时", V, "-1", A, "case.overdue", "", None),
    ("village_case_unsatisfied", "村事件回访不满意", V, "-1", A, "case.unsatisfied", "", None),
    ("patrol_done", "完成巡查", U, "0.5", A, "fieldwork.patrol.finished", "month", "20"),
    ("daily_norm_missed", "未达每日工作规范", U, "-1", A, "fieldwork.day.missed", "month", "10"),
    ("visit_done", "完成走访", U, "0.5", A, "fieldwork.visit.recorded", "month", "15"),
    ("need_claimed", "认领群众需求", M, "1", A, "party.need.claimed", "month", "10"),
    ("need_fulfilled", "办结认领需求", M, "2", A, "party.need.fulfilled", "month", "20"),
    ("meeting_attended", "参加组织生活", M, "1", A, "party.meeting.attended", "month", "4"),
    ("branch_meeting_held", "支部开展组织生活", B, "2", A, "party.meeting.held", "month", "8"),
    (
        "inspection_absent",
        "督查发现不在岗",
        V,
        "-2",
        A,
        "supervision.inspection.absent",
        "",
        None,
    ),
    (
        "problem_crossed_off",
        "督查问题整改销号",
        U,
        "2",
        A,
        "supervision.problem.crossed_off",
        "",
        None,
    ),
    ("problem_overdue", "督查问题逾期未整改", U, "-3", A, "supervision.problem.overdue", "", None),
    (
        "village_problem_overdue",
        "村督查问题逾期",
        V,
        "-2",
        A,
        "supervision.problem.overdue",
        "",
        None,
    ),
    ("commendation", "通报表扬", U, "5", H, "", "year", "30"),
    ("admonishment", "约谈/书面检查", U, "-5", H, "", "", None),
    ("member_commendation", "党员表扬", M, "5", H, "", "year", "30"),
    ("village_commendation", "村级表彰", V, "5", H, "", "", None),
    ("village_deduction", "村级扣分", V, "-5", H, "", "", None),
]


def ensure_default_rules(model=None) -> int:
    """Create the default rules that are missing (by code); never change existing ones.
    Returns how many were created. Used by the data migration and after a flush."""
    if model is None:
        from .models import PointRule as model
    have = set(model.objects.values_list("code", flat=True))
    new = [
        model(
            code=code,
            name=name,
            subject_kind=kind,
            points=Decimal(points),
            trigger=trigger,
            event=event,
            cap_period=cap_period,
            cap=Decimal(cap) if cap else None,
            is_active=True,
        )
        for code, name, kind, points, trigger, event, cap_period, cap in DEFAULT_RULES
        if code not in have
    ]
    model.objects.bulk_create(new)
    return len(new)


# --------------------------------------------------------------------------- periods


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, n: int) -> dt.date:
    m = day.month - 1 + n
    return dt.date(day.year + m // 12, m % 12 + 1, 1)


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the month / quarter / half-year / year that contains `day`."""
    months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}
    n = months[kind]
    first_month = (day.month - 1) // n * n + 1
    start = dt.date(day.year, first_month, 1)
    end = add_months(start, n) - dt.timedelta(days=1)
    return start, end


def cap_bounds(cap_period: str, day: dt.date) -> tuple[dt.date, dt.date] | None:
    if cap_period == CapPeriod.MONTH:
        return period_bounds(PeriodKind.MONTH, day)
    if cap_period == CapPeriod.QUARTER:
        return period_bounds(PeriodKind.QUARTER, day)
    if cap_period == CapPeriod.YEAR:
        return period_bounds(PeriodKind.YEAR, day)
    return None


def period_label(kind: str, start: dt.date) -> str:
    if kind == PeriodKind.MONTH:
        return f"{start.year}年{start.month}月"
    if kind == PeriodKind.QUARTER:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    if kind == PeriodKind.HALF:
        return f"{start.year}年{'上' if start.month == 1 else '下'}半年"
    return f"{start.year}年"


def ended_periods(kind: str, since: dt.date, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The periods of `kind` that start on or after `since` and have ended before `today`."""
    out = []
    start, end = period_bounds(kind, since)
    while end < today:
        out.append((start, end))
        start, end = period_bounds(kind, end + dt.timedelta(days=1))
    return out
