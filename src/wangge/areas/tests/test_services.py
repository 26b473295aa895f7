import pytest

from wangge.accounts.choices import Role
from wangge.areas import services
from wangge.areas.models import Area, AreaChange
from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.models import AuditEntry
from wangge.people.models import Household, Resident
from wangge.testing.factories import (
    UserFactory,
    make_area,
    make_household,
    make_resident,
    square,
    user_with_post,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ---------------------------------------------------------------- codes and names


@pytest.mark.parametrize(
    "code",
    ["34120410020100", "3412041002010011", "34120410020100a", "", "  "],
)
def test_a_grid_code_must_be_15_digits(territory, code):
    with pytest.raises(DomainError) as exc:
        make_area(territory.village_a, "新网格", code)
    assert exc.value.field == "code"
    assert "15" in str(exc.value.message)


def test_a_code_must_repeat_its_parents_prefix(territory):
    with pytest.raises(DomainError) as exc:
        make_area(territory.village_a, "新网格", "341204100202009")  # village_b's prefix
    assert exc.value.field == "code"
    assert "341204100201" in str(exc.value.message)


def test_codes_are_unique(territory):
    with pytest.raises(DomainError) as exc:
        make_area(territory.village_a, "新网格", territory.grid_a1.code)
    assert exc.value.field == "code"


def test_names_are_unique_per_parent_only(territory):
    # 第一网格 exists under both villages: the same name under another parent is fine.
    assert territory.grid_a1.name == territory.grid_b1.name
    with pytest.raises(DomainError) as exc:
        make_area(territory.village_a, "第一网格", "341204100201009")
    assert exc.value.field == "name"
    with pytest.raises(DomainError) as exc:
        services.area_update(actor=None, area=territory.grid_a2, name="第一网格")
    assert exc.value.field == "name"


def test_levels_follow_depth_and_micro_grids_have_no_children(territory):
    micro = make_area(territory.grid_a1, "一巷", "34120410020100101")
    assert micro.level == "microgrid" and micro.depth == 5
    with pytest.raises(DomainError) as exc:
        make_area(micro, "更小", "3412041002010010101")
    assert exc.value.field == "parent"


def test_only_grids_are_dedicated(territory):
    with pytest.raises(DomainError) as exc:
        make_area(territory.town, "新村", "341204100203", kind="school")
    assert exc.value.field == "kind"
    grid = make_area(territory.village_a, "学校网格", "341204100201009", kind="school")
    assert grid.kind == "school"


def test_create_writes_history_and_audit(territory):
    admin = user_with_post(territory.town, Role.TOWN_ADMIN)
    grid = services.area_create(
        actor=admin, parent=territory.village_a, name="第三网格", code="341204100201003"
    )
    assert AreaChange.objects.filter(area=grid, kind="create", actor=admin).exists()
    assert AuditEntry.objects.filter(verb="area.create", actor=admin, object_id=str(grid.pk))


def test_writes_need_manage_areas_over_the_place(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)  # no manage_areas
    admin = user_with_post(territory.town, Role.TOWN_ADMIN)
    with pytest.raises(PermissionDenied):
        services.area_create(
            actor=chief, parent=territory.village_a, name="x", code="341204100201009"
        )
    with pytest.raises(PermissionDenied):
        services.area_create(actor=admin, parent=None, name="新县", code="341205000000")
    root = UserFactory(is_superuser=True)
    services.area_create(actor=root, parent=None, name="新县", code="341205000000")
    other_town_admin = user_with_post(
        make_area(territory.county, "另一镇", "341204200000"), Role.TOWN_ADMIN
    )
    with pytest.raises(PermissionDenied):
        services.area_update(actor=other_town_admin, area=territory.grid_a1, name="x")


# ---------------------------------------------------------------- AB partners


def test_ab_partners_are_mutual_and_exclusive(territory):
    t = territory
    services.area_set_ab_partners(actor=None, grid=t.grid_a1, partner=t.grid_a2)
    t.grid_a1.refresh_from_db()
    t.grid_a2.refresh_from_db()
    assert t.grid_a1.ab_partner_id == t.grid_a2.pk
    assert t.grid_a2.ab_partner_id == t.grid_a1.pk
    # Re-pairing a1 with b1 frees a2.
    services.area_set_ab_partners(actor=None, grid=t.grid_a1, partner=t.grid_b1)
    for grid in (t.grid_a1, t.grid_a2, t.grid_b1):
        grid.refresh_from_db()
    assert t.grid_a1.ab_partner_id == t.grid_b1.pk
    assert t.grid_b1.ab_partner_id == t.grid_a1.pk
    assert t.grid_a2.ab_partner_id is None
    # Pairing a2 with b1 frees a1 (b1's old partner).
    services.area_set_ab_partners(actor=None, grid=t.grid_a2, partner=t.grid_b1)
    t.grid_a1.refresh_from_db()
    assert t.grid_a1.ab_partner_id is None
    # Removing.
    services.area_set_ab_partners(actor=None, grid=t.grid_a2, partner=None)
    t.grid_b1.refresh_from_db()
    assert t.grid_b1.ab_partner_id is None


def test_ab_partners_are_grids_and_not_oneself(territory):
    t = territory
    with pytest.raises(DomainError):
        services.area_set_ab_partners(actor=None, grid=t.grid_a1, partner=t.grid_a1)
    with pytest.raises(DomainError):
        services.area_set_ab_partners(actor=None, grid=t.grid_a1, partner=t.village_b)
    with pytest.raises(DomainError):
        services.area_set_ab_partners(actor=None, grid=t.village_a, partner=t.grid_a1)


# ---------------------------------------------------------------- restructuring


def _paths_consistent():
    for h in Household.objects.select_related("area"):
        assert h.area_path == h.area.path, h
    for r in Resident.objects.select_related("household"):
        assert r.area_path == r.household.area_path, r


def test_move_subtree_keeps_household_paths_consistent(territory):
    t = territory
    micro = make_area(t.grid_b1, "一巷", "34120410020200101")
    h1 = make_household(t.grid_b1)
    h2 = make_household(micro)
    make_resident(h1)
    make_resident(h2)
    untouched = make_household(t.grid_a1)
    town2 = make_area(t.county, "另一镇", "341204200000")
    old_path = t.village_b.path

    moved = services.area_move(actor=None, area=t.village_b, new_parent=town2, note="调整")

    assert moved.parent_id == town2.pk and moved.path.startswith(town2.path)
    assert moved.path != old_path
    h1.refresh_from_db()
    h2.refresh_from_db()
    t.grid_b1.refresh_from_db()
    micro.refresh_from_db()
    assert h1.area_path == t.grid_b1.path
    assert h2.area_path == micro.path
    assert micro.path.startswith(moved.path)
    untouched.refresh_from_db()
    assert untouched.area_path == t.grid_a1.path
    _paths_consistent()
    change = AreaChange.objects.get(area=moved, kind="move")
    assert change.old_parent_id == t.town.pk and change.new_parent_id == town2.pk
    assert change.old_path_names == "颍州区 / 程集镇 / 王庄村"


def test_move_refusals(territory):
    t = territory
    with pytest.raises(DomainError):
        services.area_move(actor=None, area=t.county, new_parent=t.town)
    with pytest.raises(DomainError) as exc:
        services.area_move(actor=None, area=t.village_a, new_parent=t.grid_a1)
    assert exc.value.field == "new_parent"  # under itself
    with pytest.raises(DomainError):
        services.area_move(actor=None, area=t.grid_a1, new_parent=t.village_a)  # already there
    with pytest.raises(DomainError) as exc:
        services.area_move(actor=None, area=t.grid_b1, new_parent=t.village_a)  # name taken
    assert "第一网格" in str(exc.value.message)


def test_villages_merge_turns_villages_into_grids_with_history(territory):
    t = territory
    hh = make_household(t.grid_b1)
    make_resident(hh)
    target = t.village_a

    merged = services.villages_merge(
        actor=None, sources=[t.village_b], target=target, note="大村制"
    )

    assert merged.pk == target.pk
    village_b = Area.objects.get(pk=t.village_b.pk)
    assert village_b.level == "grid" and village_b.parent_id == target.pk
    assert village_b.merged_into_id == target.pk
    assert village_b.code == "341204100202"  # keeps its code and id
    grid_b1 = Area.objects.get(pk=t.grid_b1.pk)
    assert grid_b1.level == "microgrid" and grid_b1.depth == 5
    assert AreaChange.objects.filter(area=village_b, kind="merge").exists()
    move = AreaChange.objects.get(area=village_b, kind="move")
    assert move.old_level == "village" and move.new_level == "grid"
    hh.refresh_from_db()
    assert hh.area_path == grid_b1.path
    _paths_consistent()


def test_villages_merge_refuses_a_village_with_micro_grids(territory):
    make_area(territory.grid_b1, "一巷", "34120410020200101")
    with pytest.raises(DomainError) as exc:
        services.villages_merge(
            actor=None, sources=[territory.village_b], target=territory.village_a
        )
    assert exc.value.field == "sources"
    assert Area.objects.get(pk=territory.village_b.pk).level == "village"


def test_villages_merge_refusals(territory):
    t = territory
    with pytest.raises(DomainError):
        services.villages_merge(actor=None, sources=[t.village_b], target=t.grid_a1)
    with pytest.raises(DomainError):
        services.villages_merge(actor=None, sources=[], target=t.village_a)
    with pytest.raises(DomainError):
        services.villages_merge(actor=None, sources=[t.village_a], target=t.village_a)


def test_deactivate_covers_the_subtree(territory):
    services.area_deactivate(actor=None, area=territory.village_a)
    assert not Area.objects.filter(path__startswith=territory.village_a.path, is_active=True)
    with pytest.raises(DomainError):
        services.area_deactivate(actor=None, area=territory.village_a)


def test_update_boundary_sets_centroid_and_validates(territory):
    grid = services.area_update(
        actor=None, area=territory.grid_a1, boundary=square(116.0, 33.0, 0.02)
    )
    assert 33.0 < grid.centroid_lat < 33.02 and 116.0 < grid.centroid_lng < 116.02
    with pytest.raises(DomainError) as exc:
        services.area_update(
            actor=None, area=grid, boundary={"type": "Point", "coordinates": [1, 2]}
        )
    assert exc.value.field == "boundary"
    grid = services.area_update(actor=None, area=grid, boundary=None)
    assert grid.boundary is None and grid.centroid_lat is None
