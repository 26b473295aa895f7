"""KPIs of the whole county for a quarter, on the county demo with a million cases.

Figure 1 (kpi_county_quarter_p95): p95 of `cases.kpis.kpis()` (sums over the daily rollups,
plus the count of cases overdue now), target under 150 ms. The baseline is the p95 of the
same counters computed by one plain aggregate over the case table.

Figure 2 (kpi_county_quarter_speedup): the same two timings as throughputs (KPI queries per
second), so that ratio = plain time / rollup time, the speed-up; target at least 20×.
"""

from __future__ import annotations

import datetime as dt

from common import emit, ensure_county_data, p95, setup_django, timed

RUNS = 40
PLAIN_RUNS = 5


def last_full_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((today.month - 1) // 3) + 1
    end = dt.date(today.year, first_month, 1) - dt.timedelta(days=1)
    start = dt.date(end.year, end.month - 2, 1)
    return start, end


def plain_aggregate(path: str, start: dt.date, end: dt.date, now) -> dict:
    """The counters of the rollups, straight from the case table in one scan of the
    subtree's cases: the cases reported in the period and what became of them, and the cases
    overdue now."""
    from django.db.models import Count, F, Q
    from django.utils import timezone

    from wangge.cases.choices import OPEN_STATES, CaseState, Satisfaction
    from wangge.cases.models import Case

    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz)

    received = Q(reported_at__gte=lo, reported_at__lt=hi)
    resolved = received & Q(resolved_at__isnull=False)
    visited = received & Q(return_visited_at__isnull=False)
    counters = {
        "received": Count("id", filter=received),
        "responded": Count("id", filter=received & Q(accepted_at__isnull=False)),
        "responded_on_time": Count("id", filter=received & Q(accepted_at__lte=F("respond_by"))),
        "resolved": Count("id", filter=resolved),
        "resolved_on_time": Count("id", filter=resolved & Q(resolved_at__lte=F("resolve_by"))),
        "closed": Count("id", filter=received & Q(state=CaseState.CLOSED)),
        "rejected": Count("id", filter=received & Q(state=CaseState.REJECTED)),
        "return_visits": Count("id", filter=visited),
        "overdue_now": Count("id", filter=Q(state__in=OPEN_STATES, resolve_by__lt=now)),
    }
    for s in Satisfaction.values:
        counters[s] = Count("id", filter=visited & Q(satisfaction=s))
    for level in ("grid", "village", "town", "county"):
        counters[f"settled_{level}"] = Count("id", filter=resolved & Q(settled_level=level))
    return Case.objects.filter(area_path__startswith=path).aggregate(**counters)


def main():
    setup_django(bench_db=True)
    cases = ensure_county_data()
    from django.utils import timezone

    from wangge.areas.models import Area
    from wangge.cases import kpis

    county = Area.objects.get(depth=1)
    start, end = last_full_quarter(timezone.localdate())
    now = timezone.now()
    kpis.kpis(area_path=county.path, start=start, end=end, now=now)  # warm up
    rollup = timed(lambda: kpis.kpis(area_path=county.path, start=start, end=end, now=now), RUNS)
    plain_aggregate(county.path, start, end, now)
    plain = timed(lambda: plain_aggregate(county.path, start, end, now), PLAIN_RUNS)
    rollup_p95, plain_p95 = p95(rollup), p95(plain)
    common = {
        "area": county.name,
        "period": f"{start}..{end}",
        "cases": cases,
        "runs": RUNS,
        "baseline_is": "plain aggregate over the case table",
    }
    emit(
        "kpi_county_quarter_p95",
        rollup_p95,
        "ms",
        baseline=plain_p95,
        target=150,
        better="lower",
        target_of="value",
        **common,
    )
    emit(
        "kpi_county_quarter_speedup",
        1000 / rollup_p95,
        "queries/s",
        baseline=1000 / plain_p95,
        target=20,
        better="higher",
        target_of="ratio",
        ratio_is="speed-up: plain aggregate p95 / rollup p95",
        **common,
    )


if __name__ == "__main__":
    main()
