"""factory_boy factories and a small territory builder for tests."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from django.utils import timezone

from wangge.accounts.models import Post, User
from wangge.areas.models import Area
from wangge.people import idnumber
from wangge.people.models import Household, Resident

_seq = itertools.count(1)


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    """A GeoJSON square with its south-west corner at (lng, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


def make_area(parent: Area | None, name: str, code: str, boundary=None, **extra) -> Area:
    from wangge.areas import services

    return services.area_create(
        actor=None, parent=parent, name=name, code=code, boundary=boundary, **extra
    )


class Territory:
    """county 341204000000 → town → 2 villages → 2 grids each (0.01° squares side by side)."""

    def __init__(self):
        self.county = make_area(None, "颍州区", "341204000000")
        self.town = make_area(self.county, "程集镇", "341204100000")
        self.village_a = make_area(self.town, "程集村", "341204100201")
        self.village_b = make_area(self.town, "王庄村", "341204100202")
        self.grid_a1 = make_area(
            self.village_a, "第一网格", "341204100201001", square(115.80, 32.90)
        )
        self.grid_a2 = make_area(
            self.village_a, "第二网格", "341204100201002", square(115.81, 32.90)
        )
        self.grid_b1 = make_area(
            self.village_b, "第一网格", "341204100202001", square(115.82, 32.90)
        )
        self.grid_b2 = make_area(
            self.village_b, "第二网格", "341204100202002", square(115.83, 32.90)
        )

    @property
    def grids(self) -> list[Area]:
        return [self.grid_a1, self.grid_a2, self.grid_b1, self.grid_b2]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "wangge-pass-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    user = factory.SubFactory(UserFactory)
    role = "grid_worker"
    start_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))


def user_with_post(area: Area, role: str, **kwargs) -> User:
    user = UserFactory(**kwargs)
    PostFactory(user=user, area=area, role=role)
    return user


def valid_id_number(birth: dt.date | None = None, gender: str = "M", region: str = "341204") -> str:
    birth = birth or dt.date(1970, 1, 1) + dt.timedelta(days=next(_seq) * 37 % 15000)
    return idnumber.make(region, birth, next(_seq), gender)


def make_household(area: Area, number: str | None = None, **kwargs) -> Household:
    from wangge.people import services

    return services.household_create(
        actor=None,
        number=number or f"H{next(_seq):07d}",
        area=area,
        address=kwargs.pop("address", "程集村1组1号"),
        **kwargs,
    )


def make_resident(household: Household, name: str = "张三", **kwargs) -> Resident:
    from wangge.people import services

    kwargs.setdefault("id_number", valid_id_number())
    return services.resident_create(actor=None, household=household, name=name, **kwargs)
