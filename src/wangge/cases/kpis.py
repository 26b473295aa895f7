"""KPIs of the case loop over any area subtree and period, from the daily rollups (a sum over
few rows), and the recount of those rollups from the timeline, which is the truth.

- response rate 响应率: accepted within the response limit / received
- on-time resolution 按时办结率: resolved within the limit / resolved
- resolution rate 解决率: resolved / received
- satisfaction 满意率: (satisfied + basically satisfied) / return visits
- return-visit rate 回访率: return visits / resolved
- where settled (小事不出村，大事不出镇，矛盾不上交): resolutions at each level / resolved
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from .choices import OPEN_STATES, Verb
from .models import Case, CaseAction, CaseDailyRollup

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
        }


def kpis(*, area_path: str, start: dt.date, end: dt.date, now=None) -> Kpis:
    """KPIs of the subtree at `area_path` for the days start..end (inclusive). The caller
    checks that the viewer's scope covers the area."""
    sums = CaseDailyRollup.objects.filter(
        area_path__startswith=area_path, day__gte=start, day__lte=end
    ).aggregate(**{c: Sum(c) for c in COUNTERS})
    overdue = Case.objects.filter(
        area_path__startswith=area_path,
        state__in=OPEN_STATES,
        resolve_by__lt=now or timezone.now(),
    ).count()
    return Kpis(counts={k: v or 0 for k, v in sums.items()}, overdue_now=overdue)


def recount(start: dt.date | None = None, end: dt.date | None = None) -> dict:
    """{(grid id, day): {counter: n}} recomputed from the timeline (CaseAction)."""
    out: dict = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    actions = CaseAction.objects.filter(
        verb__in=[
            Verb.REPORT,
            Verb.ACCEPT,
            Verb.RESOLVE,
            Verb.CLOSE,
            Verb.REJECT,
            Verb.RETURN_VISIT,
            Verb.ESCALATE,
            Verb.AUTO_ESCALATE,
        ]
    ).only("verb", "created_at", "data", "to_level")
    for a in actions.iterator():
        day = timezone.localdate(a.created_at)
        if (start and day < start) or (end and day > end):
            continue
        row = out[(a.data.get("grid"), day)]
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
    return dict(out)


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
    return len(counts)
