import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from wangge.cases import deadlines
from wangge.cases.models import Category, CategoryLimit


def at(*args):
    return timezone.make_aware(dt.datetime(*args))


def test_workdays_follow_the_chinese_calendar():
    assert deadlines.is_workday(dt.date(2025, 9, 28))  # Sunday, make-up workday 调休
    assert not deadlines.is_workday(dt.date(2025, 10, 1))  # National Day
    assert not deadlines.is_workday(dt.date(2025, 10, 8))
    assert deadlines.is_workday(dt.date(2025, 10, 11))  # Saturday, make-up workday
    assert not deadlines.is_workday(dt.date(2025, 10, 12))


def test_unknown_years_fall_back_to_monday_to_friday():
    assert deadlines.is_workday(dt.date(2099, 1, 2))  # Friday
    assert not deadlines.is_workday(dt.date(2099, 1, 3))  # Saturday


def test_working_hours_skip_lunch_and_nights():
    assert deadlines.add_working_hours(at(2025, 9, 29, 10, 0), 1) == at(2025, 9, 29, 11, 0)
    assert deadlines.add_working_hours(at(2025, 9, 29, 11, 0), 2) == at(2025, 9, 29, 15, 0)
    assert deadlines.add_working_hours(at(2025, 9, 29, 17, 0), 1) == at(2025, 9, 30, 9, 0)
    # reported at night: the clock starts next morning
    assert deadlines.add_working_hours(at(2025, 9, 29, 22, 0), 1) == at(2025, 9, 30, 9, 30)


def test_make_up_sunday_counts():
    # Saturday 27 September 2025 at noon → the make-up Sunday 28th is a working day.
    assert deadlines.add_working_hours(at(2025, 9, 27, 12, 0), 2) == at(2025, 9, 28, 10, 30)


def test_national_day_holiday_is_skipped():
    # Tuesday 30 September 17:00, 7 working hours: 0.5 h that day, then nothing until 9 Oct
    # (3.5 h in the morning, 3 h in the afternoon).
    assert deadlines.add_working_hours(at(2025, 9, 30, 17, 0), 7) == at(2025, 10, 9, 17, 0)


def test_the_table_gives_the_moments_of_the_walk_to_the_microsecond():
    """add_working_hours_many answers from the process's table of office periods; the walk of
    the calendar day by day is the definition: random starts (to the microsecond, at period
    boundaries, at night, on holidays and make-up days, across New Year), several durations."""
    rnd = random.Random(7)
    base = at(2025, 9, 1)
    bounds = [(8, 30), (12, 0), (14, 0), (17, 30), (0, 0)]
    hours = [0.25, 0.5, 1, 3.5, 4, 7, 8, 11.2, 24, 35, 72, 3.2, 0.001]
    starts = []
    for _ in range(600):
        day = base + dt.timedelta(days=rnd.randrange(0, 500))
        if rnd.random() < 0.3:
            h, m = rnd.choice(bounds)
            start = day.replace(hour=h, minute=m)
        else:
            start = day + dt.timedelta(microseconds=rnd.randrange(0, 86_400_000_000))
        starts.append(start.astimezone(dt.UTC) if rnd.random() < 0.5 else start)
    table = deadlines._calendar()
    for start in starts:
        durations = [dt.timedelta(hours=h) for h in rnd.sample(hours, 3)]
        answered = table.add_many(start, durations)
        assert answered is not None  # inside the table: no walk
        assert answered == deadlines._walk_working_hours(start, durations), start
        assert (
            deadlines.add_working_hours_many(start, [d / dt.timedelta(hours=1) for d in durations])
            == answered
        )


def test_outside_the_table_and_zero_durations_walk():
    table = deadlines._calendar()
    far = at(2045, 3, 1, 9, 0)
    assert table.add_many(far, [dt.timedelta(hours=1)]) is None
    assert deadlines.add_working_hours(far, 1) == at(2045, 3, 1, 10, 0)
    # A start at noon with nothing to add is due when the afternoon period begins.
    noon = at(2025, 9, 29, 12, 0)
    assert table.add_many(noon, [dt.timedelta()]) is None
    assert deadlines.add_working_hours(noon, 0) == at(2025, 9, 29, 14, 0)
    # A deadline beyond the table's last day.
    late = table.begins[-1] - dt.timedelta(days=3)
    assert table.add_many(late, [dt.timedelta(hours=500)]) is None
    assert (
        deadlines.add_working_hours(late, 500)
        == deadlines._walk_working_hours(late, [dt.timedelta(hours=500)])[0]
    )


def test_working_hours_between_is_the_inverse():
    start = at(2025, 9, 30, 9, 15)
    end = deadlines.add_working_hours(start, 20)
    assert deadlines.working_hours_between(start, end) == pytest.approx(20)
    assert deadlines.working_hours_between(end, start) == 0


@pytest.mark.django_db
def test_limits_from_category_parent_and_defaults():
    straw = Category.objects.get(code="straw_burning")
    lim = deadlines.limits_for(straw, "urgent")
    assert (lim.response_hours, lim.resolve_hours, lim.working_time) == (
        Decimal("0.50"),
        Decimal("4.00"),
        False,
    )
    land = Category.objects.get(code="dispute_land")
    CategoryLimit.objects.create(
        category=land.parent, urgency="normal", response_hours=2, resolve_hours=10
    )
    land = Category.objects.get(code="dispute_land")
    assert deadlines.limits_for(land, "normal").resolve_hours == 10  # from the parent
    other = Category.objects.get(code="other")
    assert deadlines.limits_for(other, "normal").working_time is True
    # urgent always runs on wall-clock time, even if a row says otherwise
    CategoryLimit.objects.create(
        category=other, urgency="urgent", response_hours=1, resolve_hours=8, working_time=True
    )
    assert deadlines.limits_for(other, "urgent").working_time is False


@pytest.mark.django_db(transaction=True)
def test_a_changed_limit_reaches_the_intake_table_and_its_kept_answers():
    from wangge.cases import services

    services.ensure_default_categories()
    land = services.get_category("dispute_land")
    before = deadlines.limits_for(land, "normal")
    assert deadlines.limits_for(land, "normal") is before  # kept on the table's category
    CategoryLimit.objects.update_or_create(
        category=land.parent,
        urgency="normal",
        defaults={"response_hours": 3, "resolve_hours": 33},
    )
    land = services.get_category("dispute_land")  # the table read again: the signal
    assert deadlines.limits_for(land, "normal").resolve_hours == 33
    assert deadlines.limits_for(land, "normal") != before
    # A category read without its limits asks the database every time.
    plain = Category.objects.get(code="dispute_land")
    CategoryLimit.objects.filter(category=land.parent, urgency="normal").update(resolve_hours=44)
    assert deadlines.limits_for(plain, "normal").resolve_hours == 44


@pytest.mark.django_db
def test_compute_deadlines_urgent_wall_clock_and_normal_working_time():
    other = Category.objects.get(code="other")
    start = at(2025, 9, 30, 17, 0)
    urgent = deadlines.compute_deadlines(other, "urgent", start)
    assert urgent.resolve_by == start + dt.timedelta(hours=24)
    assert urgent.warn_at == start + dt.timedelta(hours=24 * 0.8)
    normal = deadlines.compute_deadlines(other, "normal", start)
    # 35 working hours = 5 working days: 0.5 h on 30 Sep, then 9, 10, 11 (Sat, 调休), 13, 14 Oct
    assert normal.resolve_by == at(2025, 10, 14, 17, 0)
    assert normal.respond_by == at(2025, 10, 10, 9, 0)  # 8 h: 0.5 + 7 on 9 Oct + 0.5
    assert normal.respond_by < normal.warn_at < normal.resolve_by


def _one_at_a_time(start, hours):
    """The plain walk: period by period until `hours` are used up (the reference)."""
    remaining = dt.timedelta(hours=hours)
    local = timezone.localtime(start)
    day = local.date()
    while True:
        if deadlines.is_workday(day):
            for begin, end in deadlines.WORKING_PERIODS:
                period_end = timezone.make_aware(dt.datetime.combine(day, end))
                s = max(timezone.make_aware(dt.datetime.combine(day, begin)), local)
                if s < period_end:
                    if remaining <= period_end - s:
                        return s + remaining
                    remaining -= period_end - s
        day += dt.timedelta(days=1)


def test_several_deadlines_in_one_walk_equal_the_plain_walk():
    import random

    rng = random.Random(3)
    for _ in range(300):
        start = at(2025, 9, rng.randint(20, 30), rng.randint(0, 23), rng.randint(0, 59))
        hours = [rng.choice([0.5, 1, 3.5, 7, 8, 20, 28, 35, 70]) for _ in range(3)]
        assert deadlines.add_working_hours_many(start, hours) == [
            _one_at_a_time(start, h) for h in hours
        ]
