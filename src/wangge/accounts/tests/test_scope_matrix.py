"""The scope rule, proved for every role over every model of the foundation.

A post on an area covers that area's subtree. For each role (accounts.choices.Role), a user
with one post on an area of the role's level (ROLE_LEVELS) must see, through the API:

- areas: exactly the subtree of the post's area;
- households and residents: the subtree if the role has view_people, else nothing;
- posts and users: the subtree if the role has manage_posts, else nothing;
- exports (when the export helper has landed): the subtree if the role has export;

and an object outside the scope answers 404 exactly like a missing one, while an object inside
answers 200 where the role may see it (404 where it may not see that kind of object at all).
The expected sets are computed here from the fixture's layout, not with the code under test.
A user with no post, and a user whose only post has ended, see nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from wangge.accounts.choices import ROLE_CAPABILITIES, ROLE_LEVELS, Capability, Role
from wangge.accounts.models import Post
from wangge.areas.models import Area
from wangge.people.models import Household, Resident
from wangge.testing.api import FAST_PASSWORD_HASHERS, api_client, ids
from wangge.testing.factories import (
    PostFactory,
    Territory,
    UserFactory,
    make_area,
    make_household,
    make_resident,
    square,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The production hasher costs ~0.3 s per user; these tests make hundreds of users.
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@dataclass
class World:
    territory: Territory
    micro: Area
    other_grid: Area  # in another county: outside every post of the territory
    households: dict[str, Household]
    residents: dict[str, Resident]
    others_posts: list[Post]

    def area_for_level(self, level: str) -> Area:
        t = self.territory
        return {
            "county": t.county,
            "town": t.town,
            "village": t.village_a,
            "grid": t.grid_a1,
            "microgrid": self.micro,
        }[level]


@pytest.fixture
def world(territory) -> World:
    micro = make_area(territory.grid_a1, "一巷", "34120410020100101", square(115.8, 32.9, 0.004))
    county2 = make_area(None, "界首市", "341282000000")
    town2 = make_area(county2, "光武镇", "341282100000")
    village2 = make_area(town2, "光武村", "341282100201")
    other_grid = make_area(village2, "第一网格", "341282100201001", square(115.3, 33.2))
    households = {
        "a1": make_household(territory.grid_a1),
        "micro": make_household(micro),
        "b1": make_household(territory.grid_b1),
        "other": make_household(other_grid),
    }
    residents = {key: make_resident(h) for key, h in households.items()}
    others_posts = [
        PostFactory(area=territory.grid_a2, role=Role.GRID_WORKER),
        PostFactory(area=territory.grid_b1, role=Role.GRID_WORKER),
        PostFactory(area=other_grid, role=Role.GRID_WORKER),
    ]
    return World(territory, micro, other_grid, households, residents, others_posts)


def _subject(world: World, role: str):
    area = world.area_for_level(ROLE_LEVELS[role][0])
    user = UserFactory()
    PostFactory(user=user, area=area, role=role)
    return user, area


def _expected(qs, path_field: str, prefix: str, allowed: bool) -> set[int]:
    if not allowed:
        return set()
    return set(qs.filter(**{f"{path_field}__startswith": prefix}).values_list("pk", flat=True))


ROLES = list(Role.values)


@pytest.mark.parametrize("role", ROLES)
def test_areas(world, role):
    user, area = _subject(world, role)
    client = api_client(user)
    assert ids(client.get("/api/areas/", {"page_size": 500})) == _expected(
        Area.objects, "path", area.path, True
    )
    assert client.get(f"/api/areas/{area.pk}/").status_code == 200
    assert client.get(f"/api/areas/{world.territory.grid_a1.pk}/").status_code == 200
    assert client.get(f"/api/areas/{world.other_grid.pk}/").status_code == 404
    assert client.get(f"/api/areas/{world.other_grid.pk}/boundary/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["households", "residents"])
def test_people(world, role, kind):
    user, area = _subject(world, role)
    can_view = Capability.VIEW_PEOPLE in ROLE_CAPABILITIES[role]
    model = Household if kind == "households" else Resident
    objects = world.households if kind == "households" else world.residents
    client = api_client(user)
    assert ids(client.get(f"/api/{kind}/")) == _expected(
        model.objects, "area_path", area.path, can_view
    )
    inside = objects["micro"]  # every subject's area contains the micro-grid
    assert client.get(f"/api/{kind}/{inside.pk}/").status_code == (200 if can_view else 404)
    outside = client.get(f"/api/{kind}/{objects['other'].pk}/")
    missing = client.get(f"/api/{kind}/987654321/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


@pytest.mark.parametrize("role", ROLES)
def test_household_write_is_403_in_scope_without_edit_and_404_outside(world, role):
    user, _area = _subject(world, role)
    caps = ROLE_CAPABILITIES[role]
    client = api_client(user)
    inside = world.households["micro"]
    response = client.patch(f"/api/households/{inside.pk}/", {"notes": "走访"}, format="json")
    if Capability.EDIT_PEOPLE in caps:
        expected = 200
    elif Capability.VIEW_PEOPLE in caps:
        expected = 403
    else:
        expected = 404
    assert response.status_code == expected
    outside = world.households["other"]
    response = client.patch(f"/api/households/{outside.pk}/", {"notes": "x"}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_posts_and_users(world, role):
    user, area = _subject(world, role)
    can_manage = Capability.MANAGE_POSTS in ROLE_CAPABILITIES[role]
    client = api_client(user)
    expected_posts = _expected(Post.objects, "area__path", area.path, can_manage)
    assert ids(client.get("/api/posts/")) == expected_posts
    own = user.posts.get()
    assert client.get(f"/api/posts/{own.pk}/").status_code == (200 if can_manage else 404)
    outside = world.others_posts[-1]
    assert client.get(f"/api/posts/{outside.pk}/").status_code == 404
    expected_users = {p.user_id for p in Post.objects.filter(pk__in=expected_posts).only("user_id")}
    assert ids(client.get("/api/users/")) == expected_users
    assert client.get(f"/api/users/{outside.user_id}/").status_code == 404
    me = client.get("/api/users/me/").json()
    assert [p["role"] for p in me["posts"]] == [role]


@pytest.mark.parametrize("role", ROLES)
def test_exports(world, role):
    people_exports = pytest.importorskip("wangge.people.exports")
    area_exports = pytest.importorskip("wangge.areas.exports")
    user, area = _subject(world, role)
    can_export = Capability.EXPORT in ROLE_CAPABILITIES[role]
    got = set(people_exports.household_queryset(user=user).values_list("pk", flat=True))
    assert got == _expected(Household.objects, "area_path", area.path, can_export)
    got = set(people_exports.resident_queryset(user=user).values_list("pk", flat=True))
    assert got == _expected(Resident.objects, "area_path", area.path, can_export)
    got = set(area_exports.area_queryset(user=user).values_list("pk", flat=True))
    assert got == _expected(Area.objects, "path", area.path, can_export)


def _sees_nothing(user, world: World) -> None:
    client = api_client(user)
    for kind in ("areas", "households", "residents", "posts", "users"):
        response = client.get(f"/api/{kind}/")
        assert response.status_code == 200, kind
        assert ids(response) == set(), kind
    assert client.get(f"/api/areas/{world.territory.grid_a1.pk}/").status_code == 404
    assert client.get(f"/api/households/{world.households['a1'].pk}/").status_code == 404
    assert client.get(f"/api/residents/{world.residents['a1'].pk}/").status_code == 404
    response = client.post(f"/api/residents/{world.residents['a1'].pk}/reveal-id/")
    assert response.status_code == 404
    assert client.get("/api/users/me/").json()["posts"] == []


def test_a_user_without_a_post_sees_nothing(world):
    _sees_nothing(UserFactory(), world)


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.VILLAGE_GRID_CHIEF, Role.GRID_WORKER])
def test_an_ended_post_grants_nothing(world, role):
    user = UserFactory()
    today = timezone.localdate()
    PostFactory(
        user=user,
        area=world.area_for_level(ROLE_LEVELS[role][0]),
        role=role,
        start_date=today - dt.timedelta(days=400),
        end_date=today - dt.timedelta(days=1),
    )
    _sees_nothing(user, world)


def test_a_post_starting_tomorrow_grants_nothing_yet(world):
    user = UserFactory()
    PostFactory(
        user=user,
        area=world.territory.county,
        role=Role.COUNTY_ADMIN,
        start_date=timezone.localdate() + dt.timedelta(days=1),
    )
    _sees_nothing(user, world)


def test_two_posts_see_the_union(world):
    t = world.territory
    user = UserFactory()
    PostFactory(user=user, area=t.grid_a1, role=Role.GRID_WORKER)
    PostFactory(user=user, area=t.grid_b1, role=Role.GRID_WORKER)
    got = ids(api_client(user).get("/api/households/"))
    assert got == {
        world.households["a1"].pk,
        world.households["micro"].pk,
        world.households["b1"].pk,
    }


def test_a_superuser_sees_everything(world):
    root = UserFactory(is_superuser=True)
    client = api_client(root)
    assert ids(client.get("/api/households/")) == set(
        Household.objects.values_list("pk", flat=True)
    )
    assert ids(client.get("/api/areas/", {"page_size": 500})) == set(
        Area.objects.values_list("pk", flat=True)
    )
