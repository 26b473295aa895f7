import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.models import DutyHours, Leave
from wangge.areas.services import area_set_ab_partners
from wangge.cases.routing import Reason, level_chief, route
from wangge.testing.factories import user_with_post

from .conftest import MONDAY_10

pytestmark = pytest.mark.django_db

SATURDAY_NIGHT = timezone.make_aware(dt.datetime(2025, 10, 4, 23, 0))


def office_hours(user):
    for weekday in range(5):
        DutyHours.objects.create(user=user, weekday=weekday, start=dt.time(8), end=dt.time(18))
    return user


@pytest.fixture
def grid(world):
    """grid_a1 with one full-time worker on office hours, AB partner grid_a2."""
    t = world.t
    t.grid_a1.posts.all().delete()
    world.worker = office_hours(user_with_post(t.grid_a1, "grid_worker"))
    world.worker.posts.update(start_date=dt.date(2020, 1, 1))
    area_set_ab_partners(actor=None, grid=t.grid_a1, partner=t.grid_a2)
    t.grid_a1.refresh_from_db()
    return t.grid_a1


def test_worker_on_duty(world, grid):
    a = route(grid=grid, level="grid", urgency="normal", at=MONDAY_10)
    assert (a.handler, a.reason) == (world.worker, Reason.ON_DUTY)


def test_full_time_before_part_time(world, grid):
    part = world.add_post(
        office_hours(user_with_post(world.t.county, "volunteer")), grid, "grid_worker_part"
    ).user
    assert route(grid=grid, level="grid", urgency="normal", at=MONDAY_10).handler == world.worker
    Leave.objects.create(
        user=world.worker,
        start=MONDAY_10 - dt.timedelta(hours=1),
        end=MONDAY_10 + dt.timedelta(days=2),
    )
    assert route(grid=grid, level="grid", urgency="normal", at=MONDAY_10).handler == part


def test_on_leave_goes_to_ab_partner(world, grid):
    Leave.objects.create(
        user=world.worker,
        start=MONDAY_10 - dt.timedelta(hours=1),
        end=MONDAY_10 + dt.timedelta(days=2),
    )
    a = route(grid=grid, level="grid", urgency="normal", at=MONDAY_10)
    assert (a.handler, a.reason) == (world.worker_a2, Reason.AB_PARTNER)


def test_urgent_after_hours_goes_to_on_call_team(world, grid):
    on_call = user_with_post(world.t.county, "volunteer")
    world.add_post(on_call, world.t.village_a, "elder", on_call=True)
    a = route(grid=grid, level="grid", urgency="urgent", at=SATURDAY_NIGHT)
    assert (a.handler, a.reason) == (on_call, Reason.ON_CALL)


def test_urgent_after_hours_without_team_goes_to_grid_chief(world, grid):
    a = route(grid=grid, level="grid", urgency="urgent", at=SATURDAY_NIGHT)
    assert (a.handler, a.reason) == (world.chief_a, Reason.GRID_CHIEF)


def test_normal_after_hours_waits_for_own_worker(world, grid):
    a = route(grid=grid, level="grid", urgency="normal", at=SATURDAY_NIGHT)
    assert (a.handler, a.reason) == (world.worker, Reason.QUEUED)


def test_levels_above_grid_go_to_chiefs(world, grid):
    assert level_chief(grid, "village", MONDAY_10) == world.chief_a
    assert level_chief(grid, "town", MONDAY_10) == world.town_chief
    assert level_chief(grid, "county", MONDAY_10) == world.county_admin
    a = route(grid=grid, level="village", urgency="normal", at=MONDAY_10)
    assert (a.handler, a.reason) == (world.chief_a, Reason.LEVEL_CHIEF)


def test_nobody(world):
    t = world.t
    t.grid_b2.posts.all().delete()
    t.village_b.posts.all().delete()
    a = route(grid=t.grid_b2, level="grid", urgency="normal", at=MONDAY_10)
    assert (a.handler, a.reason) == (None, Reason.NOBODY)


def test_report_records_first_responder_from_routing(world, grid, report):
    Leave.objects.create(
        user=world.worker,
        start=MONDAY_10 - dt.timedelta(hours=1),
        end=MONDAY_10 + dt.timedelta(days=2),
    )
    case = report()
    assert case.handler == case.first_responder == world.worker_a2
    assert case.actions.get().data["routing"] == Reason.AB_PARTNER
