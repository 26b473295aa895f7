"""The "2348" rule: what a grid worker did on a day, measured against the daily norm.

The day's figures are computed for many workers at once with a fixed number of grouped
queries (never one per worker), so the close of a county day and a page of the compliance
view cost the same few queries whatever their size.

- patrols: patrols started that day and stopped (an open patrol does not count yet);
- visit kinds: the distinct kinds among the day's visits (认亲/访亲/帮亲);
- tasks: cases reported + cases handled (any step on a case other than reporting it) +
  other tasks the worker declared on the report;
- hours: from the first to the last thing the worker recorded that day (patrol start and end,
  visits, case steps), the working span the app can witness.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from wangge.cases.deadlines import is_workday

from .choices import DEFAULT_NORM, NORM_FIELDS, VisitKind
from .models import DailyNorm, Patrol, Visit

_VISIT_KINDS = frozenset(VisitKind.values)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return start, start + dt.timedelta(days=1)


@dataclass
class DayStats:
    patrols: int = 0
    patrol_minutes: int = 0
    distance_m: int = 0
    visits: int = 0
    visits_by_kind: dict = field(default_factory=dict)
    cases_reported: int = 0
    cases_handled: int = 0
    extra_tasks: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None

    @property
    def visit_kinds(self) -> int:
        return sum(1 for k, n in self.visits_by_kind.items() if n and k in _VISIT_KINDS)

    @property
    def tasks(self) -> int:
        return self.cases_reported + self.cases_handled + self.extra_tasks

    @property
    def hours(self) -> Decimal:
        if self.first is None or self.last is None or self.last <= self.first:
            return Decimal("0.0")
        h = Decimal((self.last - self.first).total_seconds()) / Decimal(3600)
        return h.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def seen(self, *moments) -> None:
        for m in moments:
            if m is None:
                continue
            if self.first is None or m < self.first:
                self.first = m
            if self.last is None or m > self.last:
                self.last = m

    def as_values(self) -> dict:
        return {
            "patrols": self.patrols,
            "patrol_minutes": self.patrol_minutes,
            "distance_m": self.distance_m,
            "visits": self.visits,
            "visits_by_kind": dict(self.visits_by_kind),
            "visit_kinds": self.visit_kinds,
            "cases_reported": self.cases_reported,
            "cases_handled": self.cases_handled,
            "tasks": self.tasks,
            "hours": self.hours,
        }


def day_stats(worker_ids, day: dt.date, *, extra_tasks: dict | None = None) -> dict[int, DayStats]:
    """The day's figures of each worker, in five grouped queries."""
    from wangge.cases.choices import Verb
    from wangge.cases.models import Case, CaseAction

    ids = list(worker_ids)
    out: dict[int, DayStats] = {pk: DayStats() for pk in ids}
    if not ids:
        return out
    start, end = day_bounds(day)
    patrols = (
        Patrol.objects.filter(worker_id__in=ids, started_at__gte=start, started_at__lt=end)
        .values("worker_id")
        .annotate(
            n=Count("id", filter=Q(ended_at__isnull=False)),
            dist=Sum("distance_m", filter=Q(ended_at__isnull=False)),
            first=Min("started_at"),
            last_start=Max("started_at"),
            last_end=Max("ended_at"),
        )
    )
    finished = Patrol.objects.filter(
        worker_id__in=ids, started_at__gte=start, started_at__lt=end, ended_at__isnull=False
    ).values_list("worker_id", "started_at", "ended_at")
    for row in patrols:
        s = out[row["worker_id"]]
        s.patrols = row["n"]
        s.distance_m = row["dist"] or 0
        s.seen(row["first"], row["last_start"], row["last_end"])
    for worker_id, s_at, e_at in finished:
        out[worker_id].patrol_minutes += int((e_at - s_at).total_seconds() // 60)
    for row in (
        Visit.objects.filter(visitor_id__in=ids, visited_at__gte=start, visited_at__lt=end)
        .values("visitor_id", "kind")
        .annotate(n=Count("id"), first=Min("visited_at"), last=Max("visited_at"))
    ):
        s = out[row["visitor_id"]]
        s.visits_by_kind[row["kind"]] = row["n"]
        s.visits += row["n"]
        s.seen(row["first"], row["last"])
    # The cases of the day by their time index alone, grouped by person: a day holds a few
    # hundred case steps, while filtering on hundreds of actor ids first would walk each
    # actor's whole history (and the planner may well choose to).
    for row in (
        Case.objects.filter(reported_at__gte=start, reported_at__lt=end, reported_by__isnull=False)
        .values("reported_by_id")
        .annotate(n=Count("id"))
    ):
        if row["reported_by_id"] in out:
            out[row["reported_by_id"]].cases_reported = row["n"]
    for row in (
        CaseAction.objects.filter(created_at__gte=start, created_at__lt=end, actor__isnull=False)
        .values("actor_id")
        .annotate(
            n=Count("case_id", distinct=True, filter=~Q(verb=Verb.REPORT)),
            first=Min("created_at"),
            last=Max("created_at"),
        )
    ):
        s = out.get(row["actor_id"])
        if s is not None:
            s.cases_handled = row["n"]
            s.seen(row["first"], row["last"])
    for pk, n in (extra_tasks or {}).items():
        if pk in out:
            out[pk].extra_tasks = n
    return out


# -- norms -----------------------------------------------------------------------------------


class Norms:
    """Every configured norm, loaded once; `for_path` picks the deepest one above a path."""

    def __init__(self, rows=None):
        rows = list(rows if rows is not None else DailyNorm.objects.all())
        self._by_path = sorted(((r.area_path, r.as_dict()) for r in rows), key=lambda x: -len(x[0]))

    def for_path(self, path: str) -> dict:
        for p, norm in self._by_path:
            if path.startswith(p):
                return norm
        return dict(DEFAULT_NORM)


def norm_for_path(path: str) -> dict:
    from wangge.areas.models import Area

    prefixes = [path[:i] for i in range(Area.steplen, len(path) + 1, Area.steplen)]
    return Norms(DailyNorm.objects.filter(area_path__in=prefixes)).for_path(path)


def evaluate(stats: DayStats, norm: dict) -> tuple[bool, dict]:
    """(compliant, missing): what is short of the norm, by how much."""
    have = {
        "patrols": stats.patrols,
        "visit_kinds": stats.visit_kinds,
        "tasks": stats.tasks,
        "hours": float(stats.hours),
    }
    missing = {}
    for key in NORM_FIELDS:
        short = float(norm[key]) - float(have[key])
        if short > 1e-9:
            missing[key] = int(short) if key != "hours" else round(short, 1)
    return not missing, missing


def progress(stats: DayStats, norm: dict) -> list[dict]:
    """Rows for a progress display: label key, done, norm, met."""
    have = {
        "patrols": stats.patrols,
        "visit_kinds": stats.visit_kinds,
        "tasks": stats.tasks,
        "hours": stats.hours,
    }
    return [
        {
            "key": key,
            "done": have[key],
            "norm": norm[key],
            "met": float(have[key]) >= float(norm[key]),
            "percent": min(100, int(100 * float(have[key]) / float(norm[key])))
            if float(norm[key])
            else 100,
        }
        for key in NORM_FIELDS
    ]


def leave_days(worker_ids, first: dt.date, last: dt.date) -> dict[int, set[dt.date]]:
    """Days each worker was on leave (any part of the working day 08:00–18:00), one query."""
    from wangge.accounts.models import Leave

    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    out: dict[int, set[dt.date]] = defaultdict(set)
    for user_id, l_start, l_end in Leave.objects.filter(
        user_id__in=list(worker_ids), start__lt=end, end__gt=start
    ).values_list("user_id", "start", "end"):
        day = max(first, timezone.localtime(l_start).date())
        while day <= last:
            work_start = timezone.make_aware(dt.datetime.combine(day, dt.time(8)))
            work_end = timezone.make_aware(dt.datetime.combine(day, dt.time(18)))
            if l_start >= work_end:
                day += dt.timedelta(days=1)
                continue
            if l_end <= work_start:
                break
            out[user_id].add(day)
            day += dt.timedelta(days=1)
    return out


__all__ = [
    "DayStats",
    "Norms",
    "day_bounds",
    "day_stats",
    "evaluate",
    "is_workday",
    "leave_days",
    "norm_for_path",
    "progress",
]
