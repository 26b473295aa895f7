import datetime as dt
import random

import pytest

from wangge.cases import kpis, services
from wangge.cases.choices import CaseState
from wangge.cases.models import Case, CaseDailyRollup
from wangge.core.errors import DomainError

from .conftest import IN_A1, IN_B2

pytestmark = pytest.mark.django_db


def test_kpis_of_a_small_story(world, report, clock):
    a = report()
    services.case_accept(case=a, actor=world.worker_a1)
    services.case_resolve(case=a, actor=world.worker_a1, resolution="ok")
    services.case_return_visit(case=a, actor=world.chief_a, satisfaction="satisfied")
    services.case_close(case=a, actor=world.chief_a)
    b = report()
    services.case_escalate(case=b, actor=world.worker_a1, reason="大事")
    services.case_accept(case=b, actor=world.chief_a)
    services.case_resolve(case=b, actor=world.chief_a, resolution="ok")
    report(point=IN_B2)
    day = clock.now.date()
    k = kpis.kpis(area_path=world.t.village_a.path, start=day, end=day, now=clock.now)
    assert (k.received, k.responded, k.resolved, k.return_visits, k.closed) == (2, 2, 2, 1, 1)
    assert k.response_rate == 1.0 and k.resolution_rate == 1.0
    assert k.satisfaction_rate == 1.0 and k.return_visit_rate == 0.5
    assert k.settled_shares == {"grid": 0.5, "village": 0.5, "town": 0.0, "county": 0.0}
    assert k.escalated == 1 and k.overdue_now == 0
    whole = kpis.kpis(area_path=world.t.county.path, start=day, end=day, now=clock.now)
    assert whole.received == 3
    later = clock.now + dt.timedelta(days=30)
    assert kpis.kpis(area_path=world.t.town.path, start=day, end=day, now=later).overdue_now == 1


def test_rollups_equal_a_recount_from_the_timeline_on_random_data(world, report, clock):
    rng = random.Random(20250929)
    users = [world.worker_a1, world.chief_a, world.town_admin, world.county_admin]
    cases = []
    for _ in range(40):
        clock.advance(hours=rng.choice([1, 3, 7, 20]))
        if cases and rng.random() < 0.7:
            case = Case.objects.get(pk=rng.choice(cases).pk)
            step = rng.choice(
                ["accept", "resolve", "visit", "close", "escalate", "reject", "note", "transfer"]
            )
            actor = rng.choice(users)
            try:
                if step == "accept":
                    services.case_accept(case=case, actor=actor)
                elif step == "resolve":
                    services.case_resolve(case=case, actor=actor, resolution="ok")
                elif step == "visit":
                    services.case_return_visit(
                        case=case,
                        actor=actor,
                        satisfaction=rng.choice(["satisfied", "basically", "unsatisfied"]),
                    )
                elif step == "close":
                    services.case_close(case=case, actor=actor)
                elif step == "escalate":
                    services.case_escalate(case=case, actor=actor, reason="x")
                elif step == "reject":
                    services.case_reject(case=case, actor=actor, reason="x")
                elif step == "transfer":
                    grids = [world.t.grid_a1, world.t.grid_a2, world.t.grid_b1]
                    services.case_transfer(
                        case=case, actor=actor, grid=rng.choice(grids), reason="x"
                    )
                else:
                    services.case_add_note(case=case, actor=actor, note="n")
            except DomainError:
                pass  # refused steps change nothing: that is part of what is checked
        else:
            cases.append(
                report(point=rng.choice([IN_A1, IN_B2]), urgency=rng.choice(["normal", "urgent"]))
            )
    assert Case.objects.exclude(state=CaseState.REPORTED).exists()
    assert kpis.stored() == kpis.recount()
    assert kpis.stored_durations() == kpis.recount_durations()
    before, before_durations = kpis.stored(), kpis.stored_durations()
    kpis.rebuild_rollups()
    assert kpis.stored() == before
    assert kpis.stored_durations() == before_durations
    assert CaseDailyRollup.objects.exists()


def test_case_rollups_command(world, report):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    services.case_accept(case=report(), actor=world.worker_a1)
    out = StringIO()
    call_command("case_rollups", stdout=out)
    assert "agree" in out.getvalue()
    CaseDailyRollup.objects.update(received=7)
    with pytest.raises(CommandError):
        call_command("case_rollups", stdout=out, stderr=StringIO())
    call_command("case_rollups", "--rebuild", stdout=out)
    call_command("case_rollups", stdout=out)
    assert CaseDailyRollup.objects.get().received == 1


def test_monthly_rollups_equal_the_daily_ones_and_give_the_same_kpis(world, report, clock):
    from wangge.cases.models import CaseMonthlyRollup

    rng = random.Random(7)
    for _ in range(30):
        clock.advance(hours=rng.choice([5, 20, 50, 200]))
        case = report(point=rng.choice([IN_A1, IN_B2]))
        if rng.random() < 0.7:
            services.case_accept(case=case, actor=world.town_admin)
            if rng.random() < 0.7:
                services.case_resolve(case=case, actor=world.town_admin, resolution="ok")
    monthly = kpis.stored_monthly()
    assert monthly[0] and monthly == kpis.monthly_from_daily()
    first = CaseMonthlyRollup.objects.order_by("month").first().month
    last = clock.now.date()
    periods = [(first, last), (first + dt.timedelta(days=3), last - dt.timedelta(days=2))]
    periods += [kpis.period_bounds("month", first), kpis.period_bounds("quarter", last)]
    for start, end in periods:
        for area in (world.t.county, world.t.town, world.t.village_a, world.t.grid_a1):
            got = kpis.kpis(area_path=area.path, start=start, end=end, now=clock.now)
            daily = kpis.kpis_by_prefix(
                area_path=area.path, prefix_length=len(area.path) + 1, start=start, end=end
            )  # a length the monthly rows do not have: daily rows only
            assert daily, (area, start, end)
            expected = kpis._empty()
            for k in daily.values():
                for c in kpis.COUNTERS:
                    expected.counts[c] += k.counts[c]
                for m, hist in k.durations.items():
                    for b, n in hist.items():
                        h = expected.durations.setdefault(m, {})
                        h[b] = h.get(b, 0) + n
            assert got.counts == expected.counts, (area, start, end)
            assert got.durations == expected.durations, (area, start, end)
    before = kpis.stored_monthly()
    kpis.rebuild_monthly_rollups()
    assert kpis.stored_monthly() == before


def test_split_period():
    d = dt.date
    assert kpis.split_period(d(2026, 7, 1), d(2026, 9, 30)) == ((d(2026, 7, 1), d(2026, 9, 30)), [])
    assert kpis.split_period(d(2026, 7, 2), d(2026, 9, 29)) == (
        (d(2026, 8, 1), d(2026, 8, 31)),
        [(d(2026, 7, 2), d(2026, 7, 31)), (d(2026, 9, 1), d(2026, 9, 29))],
    )
    assert kpis.split_period(d(2026, 7, 2), d(2026, 7, 9)) == (
        None,
        [(d(2026, 7, 2), d(2026, 7, 9))],
    )
    assert kpis.split_period(d(2026, 12, 1), d(2026, 12, 31)) == (
        (d(2026, 12, 1), d(2026, 12, 31)),
        [],
    )


def test_a_visit_after_the_month_ends_counts_with_its_resolution(world, report, clock):
    """A case resolved on the last day of a month and visited on the first day of the next:
    the visit belongs to the resolution's month, so no month shows more visits than
    resolutions (回访率 ≤ 100%), and the recount agrees."""
    clock.now = dt.datetime(2026, 9, 30, 10, 0, tzinfo=clock.now.tzinfo)
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_resolve(case=case, actor=world.worker_a1, resolution="ok")
    clock.now = dt.datetime(2026, 10, 1, 9, 0, tzinfo=clock.now.tzinfo)
    services.case_return_visit(case=case, actor=world.chief_a, satisfaction="satisfied")
    path = world.t.village_a.path
    september = kpis.kpis(
        area_path=path, start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30), now=clock.now
    )
    october = kpis.kpis(
        area_path=path, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31), now=clock.now
    )
    assert (september.resolved, september.return_visits) == (1, 1)
    assert september.return_visit_rate == 1.0 and september.satisfaction_rate == 1.0
    assert (october.resolved, october.return_visits) == (0, 0)
    assert kpis.recount() == kpis.stored()


def test_a_period_counts_what_became_of_the_cases_received_in_it(world, report, clock):
    """A village clears September's backlog in October: the responses, resolutions, visits
    and closures count with September's cases (September's rates rise to 100%), October's
    one new case is October's only figure — no rate above 100% (解决率 366% before), and the
    medians, the monthly rollups and the recount agree."""
    tz = clock.now.tzinfo
    clock.now = dt.datetime(2026, 9, 20, 10, 0, tzinfo=tz)
    backlog = [report() for _ in range(3)]
    clock.now = dt.datetime(2026, 10, 8, 9, 0, tzinfo=tz)
    for case in backlog:
        services.case_accept(case=case, actor=world.worker_a1)
        services.case_resolve(case=case, actor=world.worker_a1, resolution="ok")
        services.case_return_visit(case=case, actor=world.chief_a, satisfaction="satisfied")
        services.case_close(case=case, actor=world.chief_a)
    fresh = report()
    services.case_accept(case=fresh, actor=world.worker_a1)
    path = world.t.village_a.path

    def month(m):
        start = dt.date(2026, m, 1)
        return kpis.kpis(area_path=path, start=start, end=kpis.period_bounds("month", start)[1])

    september, october = month(9), month(10)
    assert (september.received, september.responded, september.resolved) == (3, 3, 3)
    assert (september.return_visits, september.closed) == (3, 3)
    assert september.resolution_rate == 1.0 and september.return_visit_rate == 1.0
    assert september.response_rate == 0.0  # accepted 18 days after the report: late
    assert september.median_respond_hours is not None
    assert (october.received, october.responded, october.resolved, october.closed) == (1, 1, 0, 0)
    assert october.response_rate == 1.0 and october.resolution_rate == 0.0
    assert october.return_visit_rate is None  # nothing of October's resolved yet
    assert kpis.stored() == kpis.recount()
    assert kpis.stored_durations() == kpis.recount_durations()
    assert kpis.stored_monthly() == kpis.monthly_from_daily()


def test_the_upgrade_rewrites_rollups_counted_on_the_day_of_each_step(world, report, clock):
    """Migration 0011 rewrites the rollups of an installation that has cases (they were
    counted on the day of each step before): afterwards they equal the recount."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("wangge.cases.migrations.0011_rollups_by_report_day")
    case = report()
    clock.advance(days=40)
    services.case_accept(case=case, actor=world.worker_a1)
    day = clock.now.date()
    # As the old services left it: the response counted on its own day.
    CaseDailyRollup.objects.filter(grid=case.grid).update(responded=0)
    CaseDailyRollup.objects.create(grid=case.grid, area_path=case.grid.path, day=day, responded=1)
    assert kpis.stored() != kpis.recount()
    migration.rebuild(apps, None)
    assert kpis.stored() == kpis.recount()
    assert kpis.stored_monthly() == kpis.monthly_from_daily()
    assert kpis.kpis(area_path=world.t.village_a.path, start=day, end=day).responded == 0


def test_a_case_transferred_to_another_village_takes_its_figures_along(world, report, clock):
    """Reported in village A, accepted there, transferred to village B and resolved there:
    all of its figures are B's (received, responded, resolved, the response time), A keeps
    none — no village shows more resolutions than cases received (B showed 200%)."""
    moved = report()  # in grid A1
    services.case_accept(case=moved, actor=world.worker_a1)
    clock.advance(hours=1)
    moved = services.case_transfer(
        case=moved, actor=world.town_admin, grid=world.t.grid_b1, reason="位置报错"
    )
    services.case_resolve(case=moved, actor=moved.handler, resolution="ok")
    own = report(point=IN_B2)
    services.case_accept(case=own, actor=own.handler)
    services.case_resolve(case=own, actor=own.handler, resolution="ok")
    day = clock.now.date()

    def village(v):
        return kpis.kpis(area_path=v.path, start=day, end=day, now=clock.now)

    a, b = village(world.t.village_a), village(world.t.village_b)
    assert (a.received, a.responded, a.resolved, a.median_respond_hours) == (0, 0, 0, None)
    assert (b.received, b.responded, b.resolved) == (2, 2, 2)  # with the accept made in A
    assert b.resolution_rate == 1.0 and b.response_rate == 1.0
    assert b.median_respond_hours is not None
    assert kpis.stored() == kpis.recount()
    assert kpis.stored_durations() == kpis.recount_durations()
    assert kpis.stored_monthly() == kpis.monthly_from_daily()
