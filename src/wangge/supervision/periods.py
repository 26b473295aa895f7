"""Periods of supervision and bulletins: months ("2026-11"), quarters ("2026-Q4") and the
two-week spans of the bi-weekly bulletin 双周通报 (ISO weeks 1–2, 3–4, …)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

from wangge.core.errors import DomainError

from .choices import BulletinKind, PeriodKind

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    nxt = (start + dt.timedelta(days=32)).replace(day=1)
    return start, nxt - dt.timedelta(days=1)


def quarter_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first = (day.month - 1) // 3 * 3 + 1
    start = dt.date(day.year, first, 1)
    end_month = first + 2
    return start, month_bounds(dt.date(day.year, end_month, 1))[1]


def quarter_label(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def parse_quarter(value: str) -> tuple[dt.date, dt.date]:
    m = _QUARTER.match(str(value or "").strip())
    if not m:
        raise DomainError(_("Give a quarter as 2026-Q4."), field="quarter")
    return quarter_bounds(dt.date(int(m.group(1)), (int(m.group(2)) - 1) * 3 + 1, 1))


def period_of(kind: str, day: dt.date) -> tuple[str, dt.date, dt.date]:
    """The label and bounds of the month or quarter of a supervision item containing `day`."""
    if kind == PeriodKind.QUARTER:
        start, end = quarter_bounds(day)
        return quarter_label(day), start, end
    if kind == PeriodKind.MONTH:
        start, end = month_bounds(day)
        return f"{day.year}-{day.month:02d}", start, end
    raise DomainError(_("Unknown period."), field="period_kind")


def parse_period(kind: str, value: str) -> tuple[str, dt.date, dt.date]:
    value = str(value or "").strip()
    if kind == PeriodKind.MONTH:
        m = _MONTH.match(value)
        if not m:
            raise DomainError(_("Give a month as 2026-11."), field="period")
        return period_of(kind, dt.date(int(m.group(1)), int(m.group(2)), 1))
    if kind == PeriodKind.QUARTER:
        start, _end = parse_quarter(value)
        return period_of(kind, start)
    raise DomainError(_("Unknown period."), field="period_kind")


def biweekly_bounds(day: dt.date) -> tuple[dt.date, dt.date, int]:
    """The two-week span holding `day`: Monday of the odd ISO week to the Sunday after, and
    its number in the ISO year (第N期)."""
    year, week, weekday = day.isocalendar()
    first_week = week if week % 2 else week - 1
    start = dt.date.fromisocalendar(year, first_week, 1)
    return start, start + dt.timedelta(days=13), (first_week + 1) // 2


def bulletin_period(kind: str, day: dt.date) -> tuple[dt.date, dt.date, str]:
    """The bounds and the number (e.g. "2026年第23期", "2026年第4季度") of the bulletin of
    `kind` whose period holds `day`."""
    if kind == BulletinKind.BIWEEKLY:
        start, end, n = biweekly_bounds(day)
        return start, end, _("%(year)d no. %(n)d") % {"year": start.isocalendar()[0], "n": n}
    if kind == BulletinKind.QUARTERLY:
        start, end = quarter_bounds(day)
        q = (start.month - 1) // 3 + 1
        return start, end, _("%(year)d Q%(n)d") % {"year": start.year, "n": q}
    raise DomainError(_("Unknown kind of bulletin."), field="kind")


def last_complete(kind: str, today: dt.date) -> dt.date:
    """A day inside the last period of `kind` that has ended before `today`."""
    if kind == BulletinKind.BIWEEKLY:
        start, _end, _n = biweekly_bounds(today)
        return start - dt.timedelta(days=1)
    start, _end = quarter_bounds(today)
    return start - dt.timedelta(days=1)
