import datetime as dt
import io
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from wangge.areas.models import Area
from wangge.cases import kpis, services
from wangge.cases.kpis import duration_bucket, histogram_median, period_bounds
from wangge.cases.models import Case
from wangge.core.errors import DomainError
from wangge.testing.factories import make_area, square

from .conftest import IN_A1, IN_B2

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


def test_period_bounds():
    d = dt.date(2025, 8, 15)
    assert period_bounds("month", d) == (dt.date(2025, 8, 1), dt.date(2025, 8, 31))
    assert period_bounds("quarter", d) == (dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    assert period_bounds("quarter", dt.date(2025, 12, 2)) == (
        dt.date(2025, 10, 1),
        dt.date(2025, 12, 31),
    )
    assert period_bounds("month", dt.date(2024, 2, 3)) == (
        dt.date(2024, 2, 1),
        dt.date(2024, 2, 29),
    )
    assert period_bounds("year", d) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_histogram_median():
    assert histogram_median({}) is None
    assert duration_bucket(0) == 0 and duration_bucket(0.5) == 0 and duration_bucket(0.6) == 1
    assert duration_bucket(10_000) == len(kpis.DURATION_EDGES)
    # Three cases in (1, 2] hours: the median is interpolated inside that bucket.
    assert histogram_median({2: 3}) == 1.5
    assert histogram_median({0: 1, 6: 1, 7: 1}) == pytest.approx(18.0)  # 12 h + half of 12
    assert histogram_median({len(kpis.DURATION_EDGES): 2}) == 720.0


def _story(world, report, clock):
    a = report()
    clock.advance(hours=1)
    services.case_accept(case=a, actor=world.worker_a1)
    services.case_resolve(case=a, actor=world.worker_a1, resolution="修好了")
    services.case_return_visit(case=a, actor=world.chief_a, satisfaction="satisfied")
    services.case_close(case=a, actor=world.chief_a)
    b = report(point=IN_B2)
    services.case_escalate(case=b, actor=world.chief_b, reason="大事")
    return a, b


def test_kpi_page_figures_and_ranking(world, report, clock, login):
    _story(world, report, clock)
    c = login(world.town_admin)
    month = f"{clock.now:%Y-%m}"
    r = c.get("/cases/kpis/", {"area": world.t.town.pk, "period": "month", "month": month})
    assert r.status_code == 200
    assert r.context["report"].totals.received == 2
    rows = r.context["rows"]
    assert [row["area"].pk for row in rows] == [world.t.village_a.pk, world.t.village_b.pk]
    assert rows[0]["rank"] == 1 and rows[0]["score"] > (rows[1]["score"] or 0)
    text = r.content.decode()
    assert "kpi-chart-data" in text and "vendor/echarts.min.js" in text
    assert "25 ×" in text  # the formula is on the page
    # Default: the user's widest area, this month.
    r = c.get("/cases/kpis/")
    assert r.status_code == 200 and r.context["area"].pk == world.t.town.pk


def test_kpi_page_scope(world, report, login):
    c = login(world.chief_a)
    assert c.get("/cases/kpis/").context["area"].pk == world.t.village_a.pk
    assert c.get("/cases/kpis/", {"area": world.t.village_b.pk}).status_code == 404
    assert c.get("/cases/kpis/", {"area": world.t.town.pk}).status_code == 404
    assert c.get("/cases/kpis/", {"area": "x"}).status_code == 404
    # A grid of the own village is reachable (drill-down from the ranking).
    assert c.get("/cases/kpis/", {"area": world.t.grid_a1.pk}).status_code == 200
    assert login(world.outsider).get("/cases/kpis/", {"area": world.t.town.pk}).status_code == 404


def test_kpi_page_bad_period(world, login):
    c = login(world.town_admin)
    r = c.get("/cases/kpis/", {"period": "range", "start": "2025-09-10", "end": "2025-09-01"})
    assert r.status_code == 400


def test_kpi_export_xlsx(world, report, clock, login):
    _story(world, report, clock)
    c = login(world.town_admin)
    r = c.get(
        "/cases/kpis/",
        {
            "area": world.t.town.pk,
            "period": "range",
            "start": "2025-09-01",
            "end": "2025-10-31",
            "export": "xlsx",
        },
    )
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    first, ranking = wb.worksheets
    values = {row[0]: row[1] for row in first.iter_rows(min_row=5, values_only=True)}
    assert 2 in values.values()  # received
    assert first["A3"].value == "统计口径" and first["B3"].value.startswith("期内受理的事件")
    names = [row[1] for row in ranking.iter_rows(min_row=2, max_row=3, values_only=True)]
    assert names == ["程集村", "王庄村"]


def test_kpi_page_query_count_does_not_grow_with_villages(world, report, clock, login):
    c = login(world.county_admin)
    params = {"area": world.t.town.pk, "period": "year", "month": "2025-09"}
    _story(world, report, clock)
    c.get("/cases/kpis/", params)
    with CaptureQueriesContext(connection) as few:
        assert c.get("/cases/kpis/", params).status_code == 200
    for i in range(6):
        village = make_area(world.t.town, f"新村{i}", f"34120410030{i}")
        grid = make_area(village, "第一网格", f"34120410030{i}001", square(115.90 + i * 0.01, 32.9))
        services.case_report(
            actor=None,
            source="qr",
            description="路面坑洼",
            category="infrastructure",
            area=grid,
            reporter_phone="13800138000",
            at=clock.now,
        )
    c.get("/cases/kpis/", params)  # the first request after new areas re-reads the posts cache
    with CaptureQueriesContext(connection) as many:
        r = c.get("/cases/kpis/", params)
    assert len(r.context["rows"]) == 8
    assert len(many) == len(few)


def test_kpi_page_equals_a_recount_from_the_timeline(world, report, clock, login):
    """The page's figures for every village equal a direct count of the CaseActions."""
    from wangge.cases.choices import Verb
    from wangge.cases.models import CaseAction

    rng = random.Random(7)
    users = [world.worker_a1, world.worker_b1, world.chief_a, world.chief_b, world.town_admin]
    cases = []
    for _ in range(60):
        clock.advance(hours=rng.choice([1, 2, 5, 13]))
        if cases and rng.random() < 0.7:
            case = Case.objects.get(pk=rng.choice(cases).pk)
            step = rng.choice(["accept", "resolve", "visit", "close", "escalate", "reject"])
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
                else:
                    services.case_reject(case=case, actor=actor, reason="x")
            except DomainError:
                pass
        else:
            cases.append(report(point=rng.choice([IN_A1, IN_B2])))
    start = timezone.localdate(Case.objects.order_by("reported_at").first().reported_at)
    end = timezone.localdate(clock.now)
    c = login(world.county_admin)
    r = c.get(
        "/cases/kpis/",
        {
            "area": world.t.town.pk,
            "period": "range",
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
    )
    rows = {row["area"].pk: row for row in r.context["rows"]}
    grids = {g.pk: g.parent_id for g in Area.objects.filter(level="grid")}
    actions = list(CaseAction.objects.select_related("case"))
    for village in (world.t.village_a, world.t.village_b):
        mine = [a for a in actions if grids.get(a.data.get("grid")) == village.pk]
        received = sum(a.verb == Verb.REPORT for a in mine)
        resolved = [a for a in mine if a.verb == Verb.RESOLVE]
        visits = [a for a in mine if a.verb == Verb.RETURN_VISIT]
        accepted = [a for a in mine if a.verb == Verb.ACCEPT]
        k = r.context["report"].ranking
        k = next(x.kpis for x in k if x.area.pk == village.pk)
        assert k.received == received
        assert k.resolved == len(resolved)
        assert k.responded_on_time == sum(bool(a.data["on_time"]) for a in accepted)
        assert k.resolved_on_time == sum(bool(a.data["on_time"]) for a in resolved)
        assert k.return_visits == len(visits)
        good = sum(a.data["satisfaction"] in ("satisfied", "basically") for a in visits)
        assert k.satisfaction_rate == (round(good / len(visits), 4) if visits else None)
        for level in ("grid", "village", "town", "county"):
            n = sum(a.to_level == level for a in resolved)
            assert k.counts[f"settled_{level}"] == n
        respond = sorted(
            (a.created_at - a.case.reported_at).total_seconds() / 3600 for a in accepted
        )
        if respond:
            # The histogram median lies in the same bucket as the true median.
            true_median = respond[len(respond) // 2] if len(respond) % 2 else None
            if true_median is not None:
                assert duration_bucket(k.median_respond_hours) == duration_bucket(true_median)
        assert rows[village.pk]["score"] == k.score
    assert kpis.stored_durations() == kpis.recount_durations()
