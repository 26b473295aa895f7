"""After a restructuring the monthly rollups are rebuilt only where they can have changed
(under the old and new parents, and above them up to their common ancestor), and they still
hold exactly the sums of the daily rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.areas import services as area_services
from wangge.areas.models import Area
from wangge.cases import kpis, services
from wangge.cases.models import CaseMonthlyRollup

from .conftest import IN_A1, IN_B2

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world, report, clock):
    for i in range(6):
        case = report(point=IN_A1 if i % 2 else IN_B2)
        clock.advance(hours=3)
        handler = world.worker_a1 if i % 2 else case.handler
        if handler is not None:
            services.case_accept(case=case, actor=handler)
        clock.advance(days=12)
    return world


def _ids(path):
    return set(CaseMonthlyRollup.objects.filter(area_path=path).values_list("id", flat=True))


def test_moving_a_grid_rebuilds_only_the_two_villages(history):
    t = history.t
    assert kpis.stored_monthly() == kpis.monthly_from_daily()
    county_rows, town_rows = _ids(t.county.path), _ids(t.town.path)
    assert county_rows and town_rows
    Area.objects.filter(pk=t.grid_a1.pk).update(name="迁出的网格")  # names are unique per parent
    with CaptureQueriesContext(connection) as q:
        area_services.area_move(actor=None, area=t.grid_a1, new_parent=t.village_b)
    assert kpis.stored_monthly() == kpis.monthly_from_daily()
    # the town and the county hold the same sums: their rows were left alone
    assert _ids(t.county.path) == county_rows and _ids(t.town.path) == town_rows
    deletes = [x["sql"] for x in q.captured_queries if x["sql"].startswith("DELETE")]
    quoted = [f"'{t.county.path}'", f"'{t.town.path}'"]
    assert deletes and not any(p in sql for p in quoted for sql in deletes)


def test_merging_villages_keeps_the_monthly_sums(history):
    t = history.t
    area_services.villages_merge(actor=None, sources=[t.village_a], target=t.village_b)
    assert kpis.stored_monthly() == kpis.monthly_from_daily()
    # the merged village's cases now count for the target village
    target = Area.objects.get(pk=t.village_b.pk)
    stored, _durations = kpis.stored_monthly()
    assert sum(r["received"] for (p, _m), r in stored.items() if p == target.path) == 6


def test_moving_a_village_to_another_town(history):
    t = history.t
    other_town = area_services.area_create(
        actor=None, parent=t.county, name="另一个镇", code="341204200000"
    )
    county_rows = _ids(t.county.path)
    area_services.area_move(actor=None, area=t.village_a, new_parent=other_town)
    assert kpis.stored_monthly() == kpis.monthly_from_daily()
    assert _ids(t.county.path) == county_rows
    stored, _durations = kpis.stored_monthly()
    moved = sum(r["received"] for (p, _m), r in stored.items() if p == other_town.path)
    assert moved == 3
