"""The demo's pure parts (tiling, households, names) and the town preset's territory and staff."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
import shapely
from shapely.geometry import shape

from wangge.accounts.choices import ROLE_LEVELS, Role
from wangge.accounts.models import Post
from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.demo import geometry, names, people, presets
from wangge.demo.builder import Builder
from wangge.people import idnumber

TODAY = dt.date(2026, 6, 15)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 12, 29, 32])
def test_tile_covers_the_parent_and_neighbours_follow_each_other(n):
    rng = random.Random(n)
    parent = geometry.around(32.885, 115.742, 0.02, 0.03)
    cells = geometry.tile(parent, n, rng)
    assert len(cells) == n
    polys = [shape(c.geojson()) for c in cells]
    outline = shape(parent.geojson())
    assert shapely.union_all(polys).symmetric_difference(outline).area < 1e-14
    assert abs(sum(p.area for p in polys) - outline.area) < 1e-14
    for a, b in zip(polys, polys[1:], strict=False):  # snake order: consecutive cells touch
        assert a.intersection(b).length > 0
    for cell in cells:
        for lat, lng in geometry.scatter(cell, 20, rng, clusters=2):
            assert cell.contains(lng, lat)


def test_households_have_plausible_make_up_and_tags():
    rng = random.Random(1)
    kinds = names.WeightedChoice(list(zip(people.KINDS, (9, 14, 6, 9, 38, 24), strict=True)))
    families = []
    for _ in range(3000):
        family = people.compose(rng, kinds(rng), 0.45)
        people.apply_tags(rng, family)
        families.append(family)
    sizes = [len(f.members) for f in families]
    assert 2.8 < sum(sizes) / len(sizes) < 3.6
    tags = Counter(t for f in families for t in f.tags)
    share = {t: n / len(families) for t, n in tags.items()}
    assert 0.02 < share["dibao"] < 0.09
    assert 0.3 < share["migrant"] < 0.65
    assert 0.1 < share["empty_nest"] < 0.35
    assert share.get("petition", 0) < 0.02
    for f in families:
        head = f.head
        assert head.relation == "head" and sum(m.relation == "head" for m in f.members) == 1
        for m in f.members:
            assert 0 <= m.age <= 95
            if m.relation == "child":
                assert m.age + 15 <= head.age or m.age + 15 <= max(
                    x.age for x in f.members if x.relation == "spouse"
                )
            if m.relation == "grandchild":
                assert m.age + 30 < head.age
        assert not any(m.away for m in f.members if m.age >= 60 or m.age < 18)


def test_id_issuer_gives_unique_valid_numbers():
    rng = random.Random(2)
    issuer = people.IdIssuer(rng)
    birth = dt.date(1980, 5, 17)
    numbers = {issuer.issue("341202", birth, "F" if i % 2 else "M") for i in range(600)}
    assert len(numbers) == 600
    for number in numbers:
        info = idnumber.parse(number)
        assert info.birth_date == birth


def test_chinese_numbers_and_surname_mix():
    assert [names.chinese_number(n) for n in (1, 10, 12, 20, 35)] == [
        "一",
        "十",
        "十二",
        "二十",
        "三十五",
    ]
    pick = names.surname_picker([("程", 0.35)])
    rng = random.Random(3)
    drawn = Counter(pick(rng) for _ in range(5000))
    assert 0.33 < drawn["程"] / 5000 < 0.40
    assert drawn["王"] > drawn["程"] / 10


def test_town_preset_has_374_posts_on_allowed_levels(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    builder = Builder(presets.get_plan("town", 1), seed=1, today=TODAY)
    builder.build_areas()
    builder.build_staff()
    assert Area.objects.filter(level=AreaLevel.VILLAGE).count() == 8
    assert Area.objects.filter(level=AreaLevel.GRID).count() == 232
    assert Post.objects.count() == 374
    counts = Counter(Post.objects.values_list("role", flat=True))
    assert counts[Role.GRID_WORKER] == 232
    assert counts[Role.TOWN_ADMIN] == 7 and counts[Role.TOWN_GRID_CHIEF] == 3
    assert counts[Role.STATIONED_CADRE] == 8 and counts[Role.VILLAGE_GRID_CHIEF] == 8
    assert all(counts[r] for r in Role.values)
    for p in Post.objects.select_related("area"):
        assert p.area.level in ROLE_LEVELS[p.role]
    assert not any(Area.objects.find_problems())
