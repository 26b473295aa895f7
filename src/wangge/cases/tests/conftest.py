import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.models import Department, DutyHours, Post
from wangge.testing.factories import PostFactory, user_with_post

# Monday 29 September 2025, 10:00 Beijing time: a working day, inside office hours.
MONDAY_10 = timezone.make_aware(dt.datetime(2025, 9, 29, 10, 0))
IN_A1 = (32.905, 115.805)  # (lat, lng) inside grid_a1
IN_B2 = (32.905, 115.835)


def _image(fmt: str) -> bytes:
    """A real (tiny) image: with Pillow installed the services also decode uploads."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


JPEG = _image("JPEG")
PNG = _image("PNG")


def always_on_duty(user):
    for weekday in range(7):
        DutyHours.objects.create(
            user=user, weekday=weekday, start=dt.time(0, 0), end=dt.time(23, 59, 59)
        )
    return user


class World:
    def __init__(self, territory):
        t = self.t = territory
        self.worker_a1 = always_on_duty(user_with_post(t.grid_a1, "grid_worker"))
        self.worker_a2 = always_on_duty(user_with_post(t.grid_a2, "grid_worker"))
        self.worker_b1 = always_on_duty(user_with_post(t.grid_b1, "grid_worker"))
        self.chief_a = user_with_post(t.village_a, "village_grid_chief")
        self.chief_b = user_with_post(t.village_b, "village_grid_chief")
        self.town_chief = user_with_post(t.town, "town_grid_chief")
        self.town_admin = user_with_post(t.town, "town_admin")
        self.county_admin = user_with_post(t.county, "county_admin")
        self.department = Department.objects.create(name="派出所", code="police", area=t.town)
        self.dept_staff = user_with_post(t.town, "department_staff")
        self.dept_staff.posts.update(department=self.department)
        self.outsider = user_with_post(t.grid_b2, "grid_worker")
        # The tests run on 2025 dates (a known holiday calendar): posts must be active then.
        Post.objects.update(start_date=dt.date(2020, 1, 1))

    def add_post(self, user, area, role, **kw):
        kw.setdefault("start_date", dt.date(2020, 1, 1))
        return PostFactory(user=user, area=area, role=role, **kw)


@pytest.fixture
def world(_fast_passwords, territory):
    return World(territory)


@pytest.fixture
def clock(monkeypatch):
    """Control the services' clock: clock.now = ...; defaults to Monday 10:00."""

    class Clock:
        now = MONDAY_10

        def __call__(self):
            return self.now

        def advance(self, **kw):
            self.now = self.now + dt.timedelta(**kw)
            return self.now

    c = Clock()
    monkeypatch.setattr("wangge.cases.services._now", c)
    return c


@pytest.fixture
def report(world, clock):
    from wangge.cases.services import case_report

    def _report(**kw):
        lat, lng = kw.pop("point", IN_A1)
        params = {
            "actor": None,
            "source": "qr",
            "description": "路灯坏了，晚上很黑",
            "category": "environment",
            "lat": lat,
            "lng": lng,
            "reporter_phone": "13800138000",
            "at": clock.now,
        }
        params.update(kw)
        return case_report(**params)

    return _report


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
