"""The demo builder: the tiny preset in the database, the larger presets as plans."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db.models import Count
from shapely.geometry import shape

from wangge import demo
from wangge.accounts.choices import ROLE_LEVELS, Role
from wangge.accounts.models import Post
from wangge.areas import geo
from wangge.areas.choices import LEVEL_DEPTH, PARENT_PREFIX, AreaLevel
from wangge.areas.models import Area
from wangge.core.crypto import blind_index, decrypt
from wangge.demo import presets, registry
from wangge.people import idnumber
from wangge.people.models import Household, Resident, Tag

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tiny(db):
    return demo.build(preset="tiny", seed=7, today=TODAY)


def test_tiny_builds_the_territory_and_people(tiny):
    levels = dict(Area.objects.order_by().values_list("level").annotate(n=Count("id")))
    assert levels[AreaLevel.COUNTY] == 1
    assert levels[AreaLevel.TOWN] == 1
    assert levels[AreaLevel.VILLAGE] == 2
    assert levels[AreaLevel.GRID] == 6
    assert levels.get(AreaLevel.MICROGRID, 0) >= 1
    assert Household.objects.count() == 60
    assert tiny.counts["people.Household"] == 60
    for hh in Household.objects.annotate(n=Count("members")).select_related("head"):
        assert hh.n == hh.member_count >= 1
        assert hh.head is not None and hh.head.household_id == hh.pk
        assert hh.head.relation == "head"
        assert hh.address.startswith(("程集村", "王湖村"))
    # Realistic people: ages and relations fit together.
    for r in Resident.objects.select_related("household__head"):
        age = (TODAY - r.birth_date).days // 365
        assert 0 <= age <= 100
        if r.relation == "child":
            head_age = (TODAY - r.household.head.birth_date).days // 365
            assert age < head_age


def test_tree_is_consistent(tiny):
    problems = Area.objects.find_problems()
    assert all(not ids for ids in problems), problems
    areas = {a.pk: a for a in Area.objects.all()}
    for a in areas.values():
        assert a.depth == LEVEL_DEPTH[a.level]
        assert len(a.path) == 4 * a.depth
        assert a.numchild == sum(1 for b in areas.values() if b.parent_id == a.pk)
        if a.parent_id is None:
            assert a.depth == 1
            continue
        parent = areas[a.parent_id]
        assert a.path[:-4] == parent.path
        n = PARENT_PREFIX[a.level]
        assert a.code[:n] == parent.code[:n]
    # Treebeard's own reading of the tree agrees with the parent column.
    for a in areas.values():
        assert {c.pk for c in Area.objects.get_children(a)} == {
            b.pk for b in areas.values() if b.parent_id == a.pk
        }


def test_children_tile_their_parent(tiny):
    for parent in Area.objects.exclude(level=AreaLevel.MICROGRID):
        kids = [shape(c.boundary) for c in Area.objects.get_children(parent)]
        if not kids:
            continue
        outline = shape(parent.boundary)
        union = shapely.union_all(kids)
        # No gaps: the children cover the parent; no overlaps: their areas add up.
        assert union.symmetric_difference(outline).area < 1e-12
        assert abs(sum(k.area for k in kids) - outline.area) < 1e-12


def test_every_household_lies_in_its_grid(tiny):
    geo.get_index(rebuild=True)
    for hh in Household.objects.select_related("area", "grid"):
        grid, micro = geo.locate_point(hh.lat, hh.lng)
        assert grid.pk == hh.grid_id
        if hh.area.level == AreaLevel.MICROGRID:
            assert micro is not None and micro.pk == hh.area_id
        else:
            assert micro is None


def test_id_numbers_are_valid_and_encrypted(tiny):
    seen = set()
    for r in Resident.objects.all():
        number = decrypt(r.id_number_cipher)
        info = idnumber.parse(number)
        assert info.birth_date == r.birth_date
        assert info.gender == r.gender
        assert r.id_number_hash == blind_index(number)
        assert r.id_number_masked == idnumber.mask(number)
        assert number not in r.id_number_cipher
        seen.add(number)
    assert len(seen) == Resident.objects.count()
    local = sum(1 for n in seen if n.startswith("341202"))
    assert local > 0.8 * len(seen)


def test_area_paths_are_denormalized_correctly(tiny):
    for hh in Household.objects.select_related("area", "grid"):
        assert hh.area_path == hh.area.path
        assert hh.grid.level == AreaLevel.GRID
        assert hh.area_id == hh.grid_id or hh.area.parent_id == hh.grid_id
    for r in Resident.objects.select_related("household"):
        assert r.area_path == r.household.area_path


def test_posts_sit_on_allowed_levels(tiny):
    posts = list(Post.objects.select_related("area"))
    assert posts
    for p in posts:
        assert p.area.level in ROLE_LEVELS[p.role], (p.role, p.area.level)
        assert (p.department_id is not None) == (p.role == Role.DEPARTMENT_STAFF)
        assert p.start_date <= TODAY
    roles = {p.role for p in posts}
    assert set(Role.values) <= roles  # every role is represented


def test_ab_partners_are_mutual_neighbours(tiny):
    grids = {g.pk: g for g in Area.objects.filter(level=AreaLevel.GRID)}
    paired = [g for g in grids.values() if g.ab_partner_id]
    assert len(paired) >= 4
    for g in paired:
        partner = grids[g.ab_partner_id]
        assert partner.ab_partner_id == g.pk
        assert partner.parent_id == g.parent_id
        shared = shape(g.boundary).intersection(shape(partner.boundary))
        assert shared.length > 0  # they share an edge, not just a corner


def test_verify_finds_nothing_on_the_demo_and_catches_a_broken_row(tiny):
    from wangge.demo.checks import verify

    assert verify() == []
    hh = Household.objects.first()
    Household.objects.filter(pk=hh.pk).update(lat=0.0, lng=0.0)
    Area.objects.filter(level=AreaLevel.TOWN).update(numchild=99)
    problems = verify()
    assert any("not inside their grid" in p for p in problems)
    assert any("numchild" in p for p in problems)


def test_demo_logins_work(tiny, client):
    for username, role, _ in demo.LOGINS:
        assert client.login(username=username, password=demo.DEMO_PASSWORD), username
        assert Post.objects.filter(user__username=username, role=role).exists()
        client.logout()
    worker_post = Post.objects.active(on=TODAY).get(user__username="worker", role=Role.GRID_WORKER)
    assert Household.objects.filter(grid=worker_post.area).exists()
    lines = demo.login_lines()
    assert any(line.strip().startswith("worker") for line in lines)
    assert demo.DEMO_PASSWORD in lines[0]


def _snapshot():
    return (
        list(Area.objects.order_by("path").values_list("path", "name", "code", "boundary")),
        list(Household.objects.order_by("number").values_list("number", "address", "lat", "lng")),
        sorted((r.name, decrypt(r.id_number_cipher), r.relation) for r in Resident.objects.all()),
        sorted(Post.objects.values_list("user__username", "user__full_name", "role", "area__code")),
    )


def test_same_seed_same_data_and_reset(db):
    tags_before = Tag.objects.count()
    demo.build(preset="tiny", seed=3, today=TODAY)
    first = _snapshot()
    with pytest.raises(demo.DemoDataExists):
        demo.build(preset="tiny", seed=3, today=TODAY)
    result = demo.build(preset="tiny", seed=3, today=TODAY, reset=True)
    assert result.wiped["people.Resident"] == len(first[2])
    assert _snapshot() == first
    assert Tag.objects.count() == tags_before  # reference data survives a reset
    demo.build(preset="tiny", seed=4, today=TODAY, reset=True)
    assert _snapshot()[2] != first[2]


def test_reset_plan_follows_required_foreign_keys():
    from wangge.demo import reset

    wipe, null = reset.plan()
    labels = {m._meta.label for m in wipe}
    assert {"areas.Area", "accounts.User", "accounts.Post", "people.Household"} <= labels
    assert {"people.Resident", "people.Resident_tags", "core.AuditEntry"} <= labels
    # Receipts of the wiped cases, and the generations (every process rebuilds its copies).
    assert {"cases.IntakeReceipt", "core.Generation"} <= labels
    assert "people.Tag" not in labels  # reference data seeded by a migration
    assert all(not m._meta.proxy for m in wipe)
    for model, field_name in null:
        assert model._meta.label not in labels
        assert model._meta.get_field(field_name).null


def test_extra_steps_run_in_the_build(db, monkeypatch):
    monkeypatch.setattr(registry, "_STEPS", dict(registry._STEPS))
    seen = {}

    @registry.register_step("test-step", order=5)
    def step(ctx):
        seen["grids"] = len(ctx.grids)
        seen["households"] = sum(len(v) for v in ctx.households_by_grid.values())
        seen["worker"] = ctx.logins["worker"].username
        seen["draw"] = ctx.rng("test-step").random()
        return {"test.Thing": 3}

    result = demo.build(preset="tiny", seed=1, today=TODAY)
    assert seen["grids"] == 6
    assert seen["households"] == 60
    assert seen["worker"] == "worker"
    assert result.counts["test.Thing"] == 3
    assert seen["draw"] == registry.DemoContext("tiny", 1, TODAY).rng("test-step").random()


def test_command_prints_counts_and_refuses_a_full_database(db):
    out = io.StringIO()
    call_command("demo", preset="tiny", seed=2, verify=True, stdout=out)
    text = out.getvalue()
    assert "people.Household" in text and "elapsed" in text
    assert "worker" in text and demo.DEMO_PASSWORD in text
    assert "verified" in text
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo", preset="tiny", stdout=io.StringIO())


def test_town_and_county_plans_match_the_seed_documents():
    town = presets.get_plan("town", 1)
    assert [t.name for t in town.towns] == ["程集镇"]
    assert len(town.towns[0].villages) == 8
    assert town.grid_count == 232
    assert town.posts_total == 374
    assert town.county_code == "341202000000"
    county = presets.get_plan("county", 1)
    assert county.county_code == "152221000000"
    assert len(county.towns) == 12
    assert county.grid_count == 850
    assert county.households == 50000
    for t in county.towns:
        assert len({v.name for v in t.villages}) == len(t.villages)
        for v in t.villages:
            assert v.code[:9] == t.code[:9] and v.grids >= 2
    assert presets.get_plan("county", 1).towns[3].villages[0].name == (
        county.towns[3].villages[0].name
    )
    with pytest.raises(ValueError):
        presets.get_plan("city", 1)


def test_postgresql_knows_the_size_of_what_was_loaded(tiny):
    """The planner's statistics are taken right after the load (demo._refresh_statistics):
    a table created empty is otherwise planned as empty until autovacuum comes by."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = %s", [Household._meta.db_table]
        )
        (reltuples,) = cursor.fetchone()
    assert reltuples == Household.objects.count() == 60
