"""KPIs of the case loop over any area subtree and period, from the daily rollups (a sum over
few rows), and the recount of those rollups from the timeline, which is the truth.

The figures of a period are those of the cases received in it: every step of a case (its
response, resolution, return visit, closure, escalation) counts on the day the case was
reported, in the case's grid (a transfer to another grid takes the case's figures along). A
period's rates thus say what became of its cases, they grow as those cases are handled, and
clearing an earlier period's backlog raises that period's rates, not today's beyond 100%. (A
case reopened by an unsatisfied return visit counts each of its resolutions and visits.)

- response rate 响应率: accepted within the response limit / received
- on-time resolution 按时办结率: resolved within the limit / resolved
- resolution rate 解决率: resolved / received
- satisfaction 满意率: (satisfied + basically satisfied) / return visits
- return-visit rate 回访率: return visits / resolved (one visit per resolution)
- where settled (小事不出村，大事不出镇，矛盾不上交): resolutions at each level / resolved
- median hours from report to response and to closure: from histogram rollups

Why histograms for the medians: a median cannot be summed, and ordering the case table by
duration over a county and a year is a scan that grows with the data. The services instead
count every response and closure into a fixed bucket (CaseDurationRollup, same transaction),
and the median is read from the summed histogram by linear interpolation inside the bucket
that holds the middle case. The error is bounded by that bucket's width (the edges are close
together where most cases fall: minutes to a few days), which is enough to compare villages.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Length, Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import OPEN_STATES, Verb
from .models import (
    Case,
    CaseAction,
    CaseDailyRollup,
    CaseDurationRollup,
    CaseMonthlyDurationRollup,
    CaseMonthlyRollup,
)

# Areas' materialized paths grow by this many characters per level (treebeard steplen).
PATH_STEP = 4

# Upper edges (hours, inclusive) of the duration buckets; the last bucket is open-ended.
DURATION_EDGES = [0.5, 1, 2, 4, 8, 12, 24, 48, 72, 120, 168, 240, 360, 720]
MEASURES = (CaseDurationRollup.Measure.RESPOND, CaseDurationRollup.Measure.CLOSE)


def duration_bucket(hours: float) -> int:
    """The bucket of a duration: bucket i holds (edge[i-1], edge[i]]."""
    return bisect_left(DURATION_EDGES, max(hours, 0))


def histogram_median(hist: dict[int, int]) -> float | None:
    """The median (hours) of a bucket histogram, interpolated linearly inside its bucket;
    for the open-ended last bucket its lower edge (a lower bound)."""
    total = sum(hist.values())
    if not total:
        return None
    half = total / 2
    seen = 0
    for bucket in sorted(hist):
        n = hist[bucket]
        if n and seen + n >= half:
            low = DURATION_EDGES[bucket - 1] if bucket else 0.0
            if bucket >= len(DURATION_EDGES):
                return float(low)
            high = DURATION_EDGES[bucket]
            return round(low + (high - low) * (half - seen) / n, 2)
        seen += n
    return None  # pragma: no cover - the loop always reaches the half


COUNTERS = [
    "received",
    "responded",
    "responded_on_time",
    "resolved",
    "resolved_on_time",
    "closed",
    "rejected",
    "return_visits",
    "satisfied",
    "basically",
    "unsatisfied",
    "settled_grid",
    "settled_village",
    "settled_town",
    "settled_county",
    "escalated",
]


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


@dataclass
class Kpis:
    counts: dict = field(default_factory=dict)
    overdue_now: int = 0
    # {measure: {bucket: n}}
    durations: dict = field(default_factory=dict)

    def __getattr__(self, name):
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    @property
    def response_rate(self):
        return _ratio(self.counts["responded_on_time"], self.counts["received"])

    @property
    def on_time_resolution_rate(self):
        return _ratio(self.counts["resolved_on_time"], self.counts["resolved"])

    @property
    def resolution_rate(self):
        return _ratio(self.counts["resolved"], self.counts["received"])

    @property
    def satisfaction_rate(self):
        c = self.counts
        return _ratio(c["satisfied"] + c["basically"], c["return_visits"])

    @property
    def return_visit_rate(self):
        return _ratio(self.counts["return_visits"], self.counts["resolved"])

    @property
    def settled_shares(self) -> dict:
        c = self.counts
        return {
            level: _ratio(c[f"settled_{level}"], c["resolved"])
            for level in ("grid", "village", "town", "county")
        }

    @property
    def settled_in_village_rate(self):
        """小事不出村: the share of resolutions settled at the grid or the village."""
        c = self.counts
        return _ratio(c["settled_grid"] + c["settled_village"], c["resolved"])

    @property
    def median_respond_hours(self):
        return histogram_median(self.durations.get(CaseDurationRollup.Measure.RESPOND, {}))

    @property
    def median_close_hours(self):
        return histogram_median(self.durations.get(CaseDurationRollup.Measure.CLOSE, {}))

    @property
    def score(self) -> float | None:
        """The composite score of the village ranking 打擂台 (see SCORE_WEIGHTS)."""
        parts = [(w, getattr(self, name)) for name, w in SCORE_WEIGHTS.items()]
        parts = [(w, v) for w, v in parts if v is not None]
        if not parts:
            return None
        weighted = sum(w * v for w, v in parts) / sum(w for w, _v in parts) * 100
        return round(max(weighted - OVERDUE_PENALTY * self.overdue_now, 0.0), 1)

    def value(self, key: str):
        """A figure by its KPI_COLUMNS key."""
        if key.startswith("share_"):
            return self.settled_shares[key.removeprefix("share_")]
        if key in ("overdue_now", "score") or key not in COUNTERS:
            return getattr(self, key)
        return self.counts[key]

    def as_dict(self) -> dict:
        return {
            **self.counts,
            "overdue_now": self.overdue_now,
            "response_rate": self.response_rate,
            "on_time_resolution_rate": self.on_time_resolution_rate,
            "resolution_rate": self.resolution_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "return_visit_rate": self.return_visit_rate,
            "settled_shares": self.settled_shares,
            "median_respond_hours": self.median_respond_hours,
            "median_close_hours": self.median_close_hours,
        }


# The composite score 综合得分 of the ranking: a weighted mean of the rates (weights sum to
# 100; a rate without any case in the period is left out and the others scaled up), minus
# OVERDUE_PENALTY points per case overdue now.
SCORE_WEIGHTS = {
    "on_time_resolution_rate": 25,
    "satisfaction_rate": 20,
    "response_rate": 15,
    "resolution_rate": 15,
    "settled_in_village_rate": 15,
    "return_visit_rate": 10,
}
OVERDUE_PENALTY = 2

# The figures of the KPI page and its export: (key for Kpis.value, label, kind).
KPI_COLUMNS = [
    ("received", _("received"), "count"),
    ("response_rate", _("response rate"), "rate"),
    ("on_time_resolution_rate", _("on-time resolution rate"), "rate"),
    ("resolution_rate", _("resolution rate"), "rate"),
    ("satisfaction_rate", _("satisfaction rate"), "rate"),
    ("return_visit_rate", _("return-visit rate"), "rate"),
    ("share_grid", _("settled in the grid"), "rate"),
    ("share_village", _("settled in the village"), "rate"),
    ("share_town", _("settled in the town"), "rate"),
    ("share_county", _("settled above the town"), "rate"),
    ("median_respond_hours", _("median time to respond"), "hours"),
    ("median_close_hours", _("median time to close"), "hours"),
    ("overdue_now", _("overdue now"), "count"),
]


def kpis(*, area_path: str, start: dt.date, end: dt.date, now=None) -> Kpis:
    """KPIs of the subtree at `area_path` for the days start..end (inclusive). The caller
    checks that the viewer's scope covers the area."""
    by_prefix = kpis_by_prefix(
        area_path=area_path, prefix_length=len(area_path), start=start, end=end, now=now
    )
    return by_prefix.get(area_path) or Kpis(counts=dict.fromkeys(COUNTERS, 0))


def subtree(field: str, path: str) -> Q:
    """Rows whose `field` starts with `path`, as a range that an index can serve (SQLite's
    LIKE cannot use one). Paths are made of digits and capital letters."""
    return Q(**{f"{field}__gte": path, f"{field}__lt": path + "\uffff"})


def monthly_paths(grid_path: str) -> list[str]:
    """The paths whose monthly rollups count a grid's figures: every area above it and its own."""
    return [grid_path[:i] for i in range(PATH_STEP, len(grid_path) + 1, PATH_STEP)]


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def split_period(start: dt.date, end: dt.date):
    """((first month, last month) or None, [(from day, to day), …]): the whole months inside
    start..end, read from the monthly rollups, and the days at either edge, read from the
    daily ones."""
    first = start if start.day == 1 else _next_month(start)
    after = _next_month(end) if _next_month(end) - dt.timedelta(days=1) == end else None
    after = after or _month_start(end)
    if first >= after:
        return None, [(start, end)] if start <= end else []
    edges = []
    if start < first:
        edges.append((start, first - dt.timedelta(days=1)))
    if end >= after:
        edges.append((after, end))
    return (first, after - dt.timedelta(days=1)), edges


def _empty() -> Kpis:
    return Kpis(counts=dict.fromkeys(COUNTERS, 0))


def kpis_by_prefix(
    *, area_path: str, prefix_length: int, start: dt.date, end: dt.date, now=None
) -> dict[str, Kpis]:
    """KPIs of the subtree at `area_path` grouped by the first `prefix_length` characters of
    the path (the areas one level down, or the area itself). Whole months come from the
    monthly rollups of the areas at that level (one row per area and month), the days at the
    edges of the period from the daily ones; a handful of grouped queries, however many
    areas and days there are. Areas without any figures are missing from the result."""
    months, edges = split_period(start, end)
    if prefix_length % PATH_STEP:
        months, edges = None, [(start, end)]
    out: dict[str, Kpis] = {}

    def add_counts(key, row):
        k = out.setdefault(key, _empty())
        for c in COUNTERS:
            k.counts[c] += row[c] or 0

    def add_duration(key, measure, bucket, n):
        hist = out.setdefault(key, _empty()).durations.setdefault(measure, {})
        hist[bucket] = hist.get(bucket, 0) + n

    if months is not None:
        if prefix_length == len(area_path):
            where = Q(area_path=area_path)
        else:
            where = Q(depth=prefix_length // PATH_STEP) & subtree("area_path", area_path)
        where &= Q(month__gte=months[0], month__lte=months[1])
        for row in (
            CaseMonthlyRollup.objects.filter(where)
            .values("area_path")
            .annotate(**{c: Sum(c) for c in COUNTERS})
            .order_by()
        ):
            add_counts(row["area_path"], row)
        for row in (
            CaseMonthlyDurationRollup.objects.filter(where)
            .values("area_path", "measure", "bucket")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            add_duration(row["area_path"], row["measure"], row["bucket"], row["n"])

    prefix = Substr("area_path", 1, prefix_length)
    for lo, hi in edges:
        where = subtree("area_path", area_path) & Q(day__gte=lo, day__lte=hi)
        for row in (
            CaseDailyRollup.objects.filter(where)
            .annotate(prefix=prefix)
            .values("prefix")
            .annotate(**{c: Sum(c) for c in COUNTERS})
            .order_by()
        ):
            add_counts(row["prefix"], row)
        for row in (
            CaseDurationRollup.objects.filter(where)
            .annotate(prefix=prefix)
            .values("prefix", "measure", "bucket")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            add_duration(row["prefix"], row["measure"], row["bucket"], row["n"])

    # Overdue now: open cases past their deadline; not a period figure. Answered from the
    # (state, area_path, resolve_by) index alone: COUNT(*), never COUNT(id), which would
    # have to read the table, and no grouping when the area itself is asked for.
    overdue = Case.objects.filter(
        subtree("area_path", area_path),
        state__in=OPEN_STATES,
        resolve_by__lt=now or timezone.now(),
    )
    if prefix_length == len(area_path):
        n = overdue.aggregate(n=Count("*"))["n"]
        if n:
            out.setdefault(area_path, _empty()).overdue_now = n
        return out
    for row in overdue.annotate(prefix=prefix).values("prefix").annotate(n=Count("*")).order_by():
        out.setdefault(row["prefix"], _empty()).overdue_now = row["n"]
    return out


_COUNTED_VERBS = [
    Verb.REPORT,
    Verb.ACCEPT,
    Verb.RESOLVE,
    Verb.CLOSE,
    Verb.REJECT,
    Verb.RETURN_VISIT,
    Verb.ESCALATE,
    Verb.AUTO_ESCALATE,
]


def _count(row: dict, a: CaseAction) -> None:
    """Add what one counted step of the timeline counts to `row`."""
    if a.verb == Verb.REPORT:
        row["received"] += 1
    elif a.verb == Verb.ACCEPT:
        row["responded"] += 1
        row["responded_on_time"] += int(bool(a.data.get("on_time")))
    elif a.verb == Verb.RESOLVE:
        row["resolved"] += 1
        row["resolved_on_time"] += int(bool(a.data.get("on_time")))
        row[f"settled_{a.to_level}"] += 1
    elif a.verb == Verb.CLOSE:
        row["closed"] += 1
    elif a.verb == Verb.REJECT:
        row["rejected"] += 1
    elif a.verb == Verb.RETURN_VISIT:
        row["return_visits"] += 1
        row[a.data["satisfaction"]] += 1
    else:
        row["escalated"] += 1


def _case_timelines(actions):
    """(case id, its actions) from a query of actions ordered by case."""
    for case_id, steps in groupby(actions.iterator(), key=attrgetter("case_id")):
        yield case_id, list(steps)


def _durations(steps, reported: dt.datetime):
    """(measure, bucket) of each response and closure among a case's steps: the hours from
    its report."""
    for a in steps:
        if a.verb in (Verb.ACCEPT, Verb.CLOSE):
            hours = (a.created_at - reported).total_seconds() / 3600
            yield _measure(a.verb), duration_bucket(hours)


def recount(start: dt.date | None = None, end: dt.date | None = None) -> dict:
    """{(grid id, day): {counter: n}} recomputed from the timeline (CaseAction): every step of
    a case on the day it was reported (see services._bump), in the case's grid — the grid of
    its last step: a transfer to another grid takes the case's figures with it."""
    out: dict = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    actions = (
        CaseAction.objects.filter(verb__in=[*_COUNTED_VERBS, Verb.TRANSFER])
        .only("case_id", "verb", "created_at", "data", "to_level")
        .order_by("case_id", "id")
    )
    for _case_id, steps in _case_timelines(actions):
        grid = steps[-1].data.get("grid")
        reported = next((a for a in steps if a.verb == Verb.REPORT), None)
        for a in steps:
            if a.verb == Verb.TRANSFER:
                continue
            day = timezone.localdate((reported or a).created_at)
            if (start and day < start) or (end and day > end):
                continue
            _count(out[(grid, day)], a)
    return dict(out)


def case_counts(case_id: int) -> tuple[dict, dict]:
    """What one case has counted into the rollups so far, as recount and recount_durations
    count it: ({counter: n}, {(measure, bucket): n}) — moved with the case when it is
    transferred to another grid (services.case_transfer)."""
    steps = list(CaseAction.objects.filter(case_id=case_id, verb__in=_COUNTED_VERBS).order_by("id"))
    counts = dict.fromkeys(COUNTERS, 0)
    for a in steps:
        _count(counts, a)
    reported = next((a.created_at for a in steps if a.verb == Verb.REPORT), None)
    durations = Counter(_durations(steps, reported)) if reported is not None else {}
    return {k: v for k, v in counts.items() if v}, dict(durations)


def _measure(verb: str) -> str:
    return (
        CaseDurationRollup.Measure.RESPOND
        if verb == Verb.ACCEPT
        else CaseDurationRollup.Measure.CLOSE
    )


def stored(start: dt.date | None = None, end: dt.date | None = None) -> dict:
    qs = CaseDailyRollup.objects.all()
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    return {
        (r.grid_id, r.day): {c: getattr(r, c) for c in COUNTERS}
        for r in qs
        if any(getattr(r, c) for c in COUNTERS)
    }


def recount_durations() -> dict:
    """{(grid id, day, measure, bucket): n} recomputed from the timeline: hours from the
    report action to each accept and to the close action, on the report's day, in the case's
    grid (the grid of its last step, as recount)."""
    out: dict = defaultdict(int)
    actions = (
        CaseAction.objects.filter(verb__in=[Verb.REPORT, Verb.ACCEPT, Verb.CLOSE, Verb.TRANSFER])
        .only("case_id", "verb", "created_at", "data")
        .order_by("case_id", "id")
    )
    for _case_id, steps in _case_timelines(actions):
        grid = steps[-1].data.get("grid")
        reported = next((a.created_at for a in steps if a.verb == Verb.REPORT), None)
        if reported is None:
            continue
        day = timezone.localdate(reported)
        for measure, bucket in _durations(steps, reported):
            out[(grid, day, measure, bucket)] += 1
    return dict(out)


def stored_durations() -> dict:
    return {
        (r.grid_id, r.day, r.measure, r.bucket): r.count
        for r in CaseDurationRollup.objects.all()
        if r.count
    }


def monthly_from_daily(where: Q | None = None, min_length: int = PATH_STEP) -> tuple[dict, dict]:
    """({(path, month): {counter: n}}, {(path, month, measure, bucket): n}): what the monthly
    rollups must hold, summed from the daily ones for the grid and every area above it
    (with `where`, from the daily rows it selects only; paths shorter than `min_length` are
    left out)."""
    counts: dict = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    durations: dict = defaultdict(int)
    daily = CaseDailyRollup.objects.filter(where or Q())
    daily_durations = CaseDurationRollup.objects.filter(where or Q())
    lengths = (
        daily.annotate(n=Length("area_path")).values_list("n", flat=True).distinct().order_by()
    )
    longest = max(
        [
            *lengths,
            *daily_durations.annotate(n=Length("area_path"))
            .values_list("n", flat=True)
            .distinct()
            .order_by(),
            0,
        ]
    )
    for length in range(min_length, longest + 1, PATH_STEP):
        prefix = Substr("area_path", 1, length)
        for row in (
            daily.annotate(n=Length("area_path"), prefix=prefix, m=TruncMonth("day"))
            .filter(n__gte=length)
            .values("prefix", "m")
            .annotate(**{c: Sum(c) for c in COUNTERS})
            .order_by()
        ):
            if any(row[c] for c in COUNTERS):
                target = counts[(row["prefix"], _as_date(row["m"]))]
                for c in COUNTERS:
                    target[c] += row[c] or 0
        for row in (
            daily_durations.annotate(n=Length("area_path"), prefix=prefix, m=TruncMonth("day"))
            .filter(n__gte=length)
            .values("prefix", "m", "measure", "bucket")
            .annotate(total=Sum("count"))
            .order_by()
        ):
            if row["total"]:
                durations[(row["prefix"], _as_date(row["m"]), row["measure"], row["bucket"])] += (
                    row["total"]
                )
    return dict(counts), dict(durations)


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def stored_monthly() -> tuple[dict, dict]:
    """The monthly rollups as stored, in the shape of monthly_from_daily() (zero rows left out)."""
    counts = {
        (r.area_path, r.month): {c: getattr(r, c) for c in COUNTERS}
        for r in CaseMonthlyRollup.objects.all()
        if any(getattr(r, c) for c in COUNTERS)
    }
    durations = {
        (r.area_path, r.month, r.measure, r.bucket): r.count
        for r in CaseMonthlyDurationRollup.objects.all()
        if r.count
    }
    return counts, durations


def _common_prefix(paths: list[str]) -> str:
    first, last = min(paths), max(paths)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[: n - n % PATH_STEP]


@transaction.atomic
def rebuild_monthly_rollups(under: list[str] | None = None) -> int:
    """Rewrite the monthly rollups from the daily ones (after a restructuring, on an
    installation that had only daily rows, after the demo's bulk load). Returns the rows.

    With `under` (area paths: where a restructuring took a subtree from and put it), only
    the rows that can have changed: those of the areas under these paths (old paths that no
    longer exist included) and of the areas above them up to, not including, their nearest
    common ancestor, whose sums a move inside it leaves as they were."""
    if under:
        return _rebuild_monthly_under(sorted(set(under)))
    counts, durations = monthly_from_daily()
    CaseMonthlyRollup.objects.all().delete()
    CaseMonthlyRollup.objects.bulk_create(
        [
            CaseMonthlyRollup(area_path=p, depth=len(p) // PATH_STEP, month=m, **row)
            for (p, m), row in counts.items()
        ],
        batch_size=2000,
    )
    CaseMonthlyDurationRollup.objects.all().delete()
    CaseMonthlyDurationRollup.objects.bulk_create(
        [
            CaseMonthlyDurationRollup(
                area_path=p, depth=len(p) // PATH_STEP, month=m, measure=me, bucket=b, count=n
            )
            for (p, m, me, b), n in durations.items()
        ],
        batch_size=2000,
    )
    return len(counts)


def _rebuild_monthly_under(roots: list[str]) -> int:
    common = _common_prefix(roots) if len(roots) > 1 else roots[0]
    # The highest areas whose sums change: one level below the common ancestor.
    tops = sorted({r[: len(common) + PATH_STEP] if len(r) > len(common) else r for r in roots})
    # Rows to rewrite: everything under a root, and the areas from a top down to a root.
    above = {r[:i] for r in roots for i in range(len(common) + PATH_STEP, len(r), PATH_STEP)}
    above |= {t for t in tops if not any(t.startswith(r) for r in roots)}
    stale = Q(area_path__in=above)
    for root in roots:
        stale |= subtree("area_path", root)
    within = Q()
    for top in tops:
        within |= subtree("area_path", top)
    counts, durations = monthly_from_daily(where=within, min_length=min(len(t) for t in tops))

    def wanted(path: str) -> bool:
        return path in above or any(path.startswith(r) for r in roots)

    CaseMonthlyRollup.objects.filter(stale).delete()
    rows = [
        CaseMonthlyRollup(area_path=p, depth=len(p) // PATH_STEP, month=m, **row)
        for (p, m), row in counts.items()
        if wanted(p)
    ]
    CaseMonthlyRollup.objects.bulk_create(rows, batch_size=2000)
    CaseMonthlyDurationRollup.objects.filter(stale).delete()
    CaseMonthlyDurationRollup.objects.bulk_create(
        [
            CaseMonthlyDurationRollup(
                area_path=p, depth=len(p) // PATH_STEP, month=m, measure=me, bucket=b, count=n
            )
            for (p, m, me, b), n in durations.items()
            if wanted(p)
        ],
        batch_size=2000,
    )
    return len(rows)


@transaction.atomic
def rebuild_rollups() -> int:
    """Rewrite every rollup from the timeline (repair after a data fix). Returns the rows."""
    from wangge.areas.models import Area

    counts = recount()
    paths = dict(Area.objects.filter(pk__in={g for g, _d in counts}).values_list("pk", "path"))
    CaseDailyRollup.objects.all().delete()
    CaseDailyRollup.objects.bulk_create(
        [
            CaseDailyRollup(grid_id=g, day=d, area_path=paths[g], **row)
            for (g, d), row in counts.items()
            if g in paths
        ]
    )
    durations = recount_durations()
    paths.update(
        Area.objects.filter(pk__in={k[0] for k in durations} - set(paths)).values_list("pk", "path")
    )
    CaseDurationRollup.objects.all().delete()
    CaseDurationRollup.objects.bulk_create(
        [
            CaseDurationRollup(grid_id=g, day=d, measure=m, bucket=b, count=n, area_path=paths[g])
            for (g, d, m, b), n in durations.items()
            if g in paths
        ]
    )
    rebuild_monthly_rollups()
    return len(counts)


# ---------------------------------------------------------------------------------------------
# Periods and the report of the KPI page


PERIODS = ("month", "quarter", "year", "range")


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month, quarter or year that contains `day`."""
    if kind == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if kind == "quarter":
        first_month = (day.month - 1) // 3 * 3 + 1
        start = dt.date(day.year, first_month, 1)
    else:
        start = day.replace(day=1)
        first_month = day.month
    months = 3 if kind == "quarter" else 1
    next_month = first_month + months
    year = day.year + (next_month - 1) // 12
    end = dt.date(year, (next_month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


@dataclass
class RankRow:
    rank: int | None
    area: object
    kpis: Kpis


@dataclass
class KpiReport:
    """What the KPI page shows: the figures of an area over a period and the ranking 打擂台
    of the areas one level down."""

    area: object
    start: dt.date
    end: dt.date
    totals: Kpis
    ranking: list[RankRow]


def kpi_report(*, area, start: dt.date, end: dt.date, now=None) -> KpiReport:
    """The figures of `area`'s subtree and of each active child, ranked by score (areas
    without any case in the period rank last, unranked). A constant number of queries."""
    from wangge.areas.models import Area

    now = now or timezone.now()
    totals = kpis(area_path=area.path, start=start, end=end, now=now)
    children = list(
        Area.objects.filter(parent=area, is_active=True)
        .only("id", "name", "code", "path", "level")
        .order_by("path")
    )
    by_child = {}
    if children:
        by_child = kpis_by_prefix(
            area_path=area.path,
            prefix_length=len(children[0].path),
            start=start,
            end=end,
            now=now,
        )
    empty = dict.fromkeys(COUNTERS, 0)
    rows = [RankRow(None, c, by_child.get(c.path) or Kpis(counts=dict(empty))) for c in children]
    rows.sort(
        key=lambda r: (r.kpis.score is None, -(r.kpis.score or 0), -r.kpis.received, r.area.path)
    )
    for i, row in enumerate(rows, start=1):
        row.rank = i if row.kpis.score is not None else None
    return KpiReport(area=area, start=start, end=end, totals=totals, ranking=rows)
