"""Case deadlines 办理时限 on the Chinese working calendar.

Normal and important cases count working hours: the office periods below, on working days as
the State Council publishes them every year (holidays off, make-up workdays 调休 on), read from
chinese_calendar; for years the library does not know yet, Monday to Friday. Urgent cases count
wall-clock hours. The yellow warning comes at 80% of the resolution time, red when it is over.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal

import chinese_calendar
from django.utils import timezone

from .choices import DEFAULT_LIMITS, Urgency

# Office hours of a working day (上午 08:30–12:00, 下午 14:00–17:30): seven hours.
WORKING_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(8, 30), dt.time(12, 0)),
    (dt.time(14, 0), dt.time(17, 30)),
)
YELLOW_FRACTION = Decimal("0.8")
# A deadline further than this is a configuration error, not a reason to loop forever.
_MAX_DAYS = 3660


@functools.lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_hours(start: dt.datetime, hours) -> dt.datetime:
    """The moment when `hours` working hours have passed after `start`."""
    return add_working_hours_many(start, [hours])[0]


def add_working_hours_many(start: dt.datetime, hours_list) -> list[dt.datetime]:
    """add_working_hours for several durations from one start (a new case has three
    deadlines: to respond, the yellow warning, to resolve): two bisections each in this
    process's table of office periods (WorkCalendar), a walk of the calendar day by day for a
    start or a deadline outside it."""
    durations = [dt.timedelta(hours=float(h)) for h in hours_list]
    found = _calendar().add_many(start, durations)
    return found if found is not None else _walk_working_hours(start, durations)


def _walk_working_hours(start: dt.datetime, durations: list[dt.timedelta]) -> list[dt.datetime]:
    """add_working_hours_many by walking the calendar from `start`, day by day: the
    definition WorkCalendar answers from its table."""
    wanted = sorted((d, i) for i, d in enumerate(durations))
    out: list[dt.datetime | None] = [None] * len(wanted)
    tz = timezone.get_default_timezone()  # the county's (nothing activates another)
    local = start.astimezone(tz)
    day = local.date()
    spent = dt.timedelta()  # working time counted so far
    k = 0
    for _ in range(_MAX_DAYS):
        if is_workday(day):
            for begin, end in WORKING_PERIODS:
                period_end = dt.datetime.combine(day, end, tzinfo=tz)
                s = max(dt.datetime.combine(day, begin, tzinfo=tz), local)
                if s >= period_end:
                    continue
                available = period_end - s
                while k < len(wanted) and wanted[k][0] - spent <= available:
                    out[wanted[k][1]] = s + (wanted[k][0] - spent)
                    k += 1
                if k == len(wanted):
                    return out
                spent += available
        day += dt.timedelta(days=1)
    raise ValueError("deadline too far in the future")


class WorkCalendar:
    """The office periods (WORKING_PERIODS on is_workday days) from `first` to `last` in the
    county's zone, as epoch seconds, with the working seconds before each: the moment when
    some working time has passed after a start is two bisections instead of a walk of the
    calendar. (The demo build adds millions of durations with it.)"""

    def __init__(self, first: dt.date, last: dt.date):
        tz = timezone.get_default_timezone()
        self.begins: list[dt.datetime] = []  # each period's start, in the county's zone
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.cum: list[int] = []  # working seconds before each period
        self.cum_end: list[int] = []  # … and at its end
        total = 0
        day = first
        while day <= last:
            if is_workday(day):
                for begin, end in WORKING_PERIODS:
                    b = dt.datetime.combine(day, begin, tzinfo=tz)
                    s, e = (
                        int(b.timestamp()),
                        int(dt.datetime.combine(day, end, tzinfo=tz).timestamp()),
                    )
                    self.begins.append(b)
                    self.starts.append(s)
                    self.ends.append(e)
                    self.cum.append(total)
                    total += e - s
                    self.cum_end.append(total)
            day += dt.timedelta(days=1)

    def add(self, start: float, seconds: float, working: bool) -> float:
        """Epoch seconds `seconds` of working time (of wall-clock time when not `working`)
        after `start`."""
        if not working:
            return start + seconds
        i = bisect.bisect_right(self.starts, start) - 1
        if i < 0 or seconds <= 0:
            return _slow_add(start, seconds)
        target = self.cum[i] + (min(start, self.ends[i]) - self.starts[i]) + seconds
        j = bisect.bisect_left(self.cum_end, target)
        if j >= len(self.starts):
            return _slow_add(start, seconds)
        return self.starts[j] + (target - self.cum[j])

    def add_many(self, start: dt.datetime, durations: list[dt.timedelta]) -> list | None:
        """The moments when each of `durations` of working time has passed after `start`
        (as _walk_working_hours gives them, to the microsecond), None when the table does
        not reach them or a duration is not positive (the walk answers)."""
        at = start.timestamp()
        i = bisect.bisect_right(self.starts, at) - 1
        if i < 0:
            return None
        if at >= self.ends[i]:
            worked = dt.timedelta(seconds=self.cum_end[i])
        else:
            worked = dt.timedelta(seconds=self.cum[i]) + (start - self.begins[i])
        out = []
        for d in durations:
            if d <= dt.timedelta():
                return None  # (a zero duration at a period's end is the next period's start)
            target = worked + d
            j = bisect.bisect_left(self.cum_end, target.total_seconds())
            if j >= len(self.starts):
                return None
            out.append(self.begins[j] + (target - dt.timedelta(seconds=self.cum[j])))
        return out


def _slow_add(start: float, seconds: float) -> float:
    moment = dt.datetime.fromtimestamp(start, tz=dt.UTC)
    return _walk_working_hours(moment, [dt.timedelta(seconds=seconds)])[0].timestamp()


# The process's table: from two years back to five years ahead of the day it was built.
_CALENDAR_YEARS_BACK, _CALENDAR_YEARS_AHEAD = 2, 5


@functools.lru_cache(maxsize=1)
def _calendar_for(year: int, zone: str) -> WorkCalendar:
    return WorkCalendar(
        dt.date(year - _CALENDAR_YEARS_BACK, 1, 1), dt.date(year + _CALENDAR_YEARS_AHEAD, 12, 31)
    )


def _calendar() -> WorkCalendar:
    return _calendar_for(dt.date.today().year, str(timezone.get_default_timezone()))


def working_hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Working hours between two moments (0 when end is before start)."""
    if end <= start:
        return 0.0
    tz = timezone.get_default_timezone()  # the county's (nothing activates another)
    total = dt.timedelta()
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        if is_workday(day):
            for begin, stop in WORKING_PERIODS:
                s = max(dt.datetime.combine(day, begin, tzinfo=tz), start)
                e = min(dt.datetime.combine(day, stop, tzinfo=tz), end)
                if e > s:
                    total += e - s
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600


def add_hours(start: dt.datetime, hours, *, working_time: bool) -> dt.datetime:
    if working_time:
        return add_working_hours(start, hours)
    return start + dt.timedelta(hours=float(hours))


@dataclass(frozen=True)
class Limits:
    response_hours: Decimal
    resolve_hours: Decimal
    working_time: bool


def limits_for(category, urgency: str) -> Limits:
    """The category's limits for the urgency, else its parent's, else the defaults. Urgent
    cases always run on wall-clock time. A category whose limits were read with it (the
    services' category table, rebuilt when a category or a limit changes) keeps the answer."""
    prefetched = getattr(category, "_prefetched_objects_cache", None)
    if prefetched is None or "limits" not in prefetched:
        return _limits_for(category, urgency)
    memo = category.__dict__.setdefault("_limits_by_urgency", {})
    found = memo.get(urgency)
    if found is None:
        found = memo[urgency] = _limits_for(category, urgency)
    return found


def _limits_for(category, urgency: str) -> Limits:
    row = None
    node = category
    while node is not None and row is None:
        row = next((lim for lim in node.limits.all() if lim.urgency == urgency), None)
        node = node.parent
    if row is not None:
        limits = Limits(row.response_hours, row.resolve_hours, row.working_time)
    else:
        respond, resolve, working = DEFAULT_LIMITS[Urgency(urgency)]
        limits = Limits(Decimal(str(respond)), Decimal(str(resolve)), working)
    if urgency == Urgency.URGENT and limits.working_time:
        limits = Limits(limits.response_hours, limits.resolve_hours, False)
    return limits


@dataclass(frozen=True)
class Deadlines:
    respond_by: dt.datetime
    resolve_by: dt.datetime
    warn_at: dt.datetime
    working_time: bool


def compute_deadlines(category, urgency: str, start: dt.datetime) -> Deadlines:
    limits = limits_for(category, urgency)
    hours = (limits.response_hours, limits.resolve_hours, limits.resolve_hours * YELLOW_FRACTION)
    if limits.working_time:
        respond_by, resolve_by, warn_at = add_working_hours_many(start, hours)
    else:
        respond_by, resolve_by, warn_at = (start + dt.timedelta(hours=float(h)) for h in hours)
    return Deadlines(
        respond_by=respond_by,
        resolve_by=resolve_by,
        warn_at=warn_at,
        working_time=limits.working_time,
    )


def resolve_deadlines(category, urgency: str, start: dt.datetime) -> tuple:
    """(resolve_by, warn_at) for a new resolution period (a reopened case)."""
    d = compute_deadlines(category, urgency, start)
    return d.resolve_by, d.warn_at
