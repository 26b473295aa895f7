import datetime as dt

import pytest

from wangge.areas import services as area_services
from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.models import AuditEntry
from wangge.party import services
from wangge.party.choices import GridLevel, MemberStatus, OrgChangeKind, OrgKind
from wangge.party.models import PartyMember, PartyOrg, PartyOrgChange
from wangge.party.selectors import branch_of, contact_quota
from wangge.testing.factories import make_household, make_resident

pytestmark = pytest.mark.django_db


def test_tree_paths_and_history(net):
    assert net.a1.path.startswith(net.va.path)
    assert net.va.path.startswith(net.town.path)
    assert net.a1.area_path == net.t.grid_a1.path
    assert PartyOrgChange.objects.filter(org=net.a1, kind=OrgChangeKind.CREATE).exists()
    assert AuditEntry.objects.filter(verb="party.org.create").count() == 6


def test_kind_must_fit_parent(net):
    with pytest.raises(DomainError) as exc:
        services.org_create(
            actor=None, parent=net.a1, name="x", kind=OrgKind.VILLAGE_COMMITTEE, area=net.t.grid_a1
        )
    assert exc.value.field == "parent"
    with pytest.raises(DomainError):
        services.org_create(
            actor=None, parent=None, name="x", kind=OrgKind.GRID_BRANCH, area=net.t.grid_a1
        )


def test_area_must_lie_inside_parent_area(net):
    with pytest.raises(DomainError) as exc:
        services.org_create(
            actor=None, parent=net.va, name="x", kind=OrgKind.GRID_BRANCH, area=net.t.grid_b1
        )
    assert exc.value.field == "area"
    with pytest.raises(DomainError):
        services.org_create(
            actor=None,
            parent=net.va,
            name="y",
            kind=OrgKind.PARTY_GROUP,
            area=net.t.village_a,
            areas=[net.t.grid_b1],
        )


def test_create_needs_write_scope(net):
    with pytest.raises(PermissionDenied):
        services.org_create(
            actor=net.vb_organiser,
            parent=net.va,
            name="第三网格党支部",
            kind=OrgKind.GRID_BRANCH,
            area=net.t.grid_a2,
        )
    org = services.org_create(
        actor=net.va_organiser,
        parent=net.va,
        name="第三网格党支部",
        kind=OrgKind.GRID_BRANCH,
        area=net.t.grid_a2,
    )
    assert org.parent_id == net.va.pk


def test_rename_keeps_history(net):
    services.org_rename(actor=net.va_organiser, org=net.a1, name="一网格党支部")
    change = PartyOrgChange.objects.get(org=net.a1, kind=OrgChangeKind.RENAME)
    assert (change.old_name, change.new_name) == ("第一网格党支部", "一网格党支部")
    with pytest.raises(DomainError):
        services.org_rename(actor=None, org=net.a1, name="第二网格党支部")


def test_move_refuses_under_itself_and_moves_subtree(net):
    with pytest.raises(DomainError):
        services.org_move(actor=None, org=net.va, new_parent=net.a1)
    leaf = services.org_create(
        actor=None,
        parent=net.group,
        name="中心户",
        kind=OrgKind.CENTRAL_HOUSEHOLD,
        area=net.t.grid_a1,
    )
    # A grid branch of village A cannot move under village B: its area is not inside.
    with pytest.raises(DomainError):
        services.org_move(actor=None, org=net.a2, new_parent=net.vb)
    # nor can the central household of grid A1 move under the grid branch of A2
    with pytest.raises(DomainError):
        services.org_move(actor=None, org=leaf, new_parent=net.a2)
    with pytest.raises(PermissionDenied):
        services.org_move(actor=net.vb_organiser, org=leaf, new_parent=net.a1)
    moved = services.org_move(actor=net.va_organiser, org=leaf, new_parent=net.a1)
    assert moved.path.startswith(net.a1.path) and moved.parent_id == net.a1.pk
    assert PartyOrgChange.objects.filter(org=leaf, kind=OrgChangeKind.MOVE).exists()


def test_big_village_restructuring(net):
    """大村制: village B merges into village A; its branch becomes a grid branch of 程集村党委."""
    area_services.villages_merge(actor=None, sources=[net.t.village_b], target=net.t.village_a)
    vb = PartyOrg.objects.get(pk=net.vb.pk)
    # the area move rewrote the denormalized area paths
    new_path = net.t.village_b.__class__.objects.get(pk=net.t.village_b.pk).path
    assert vb.area_path == new_path
    assert PartyMember.objects.get(pk=net.m5.pk).area_path == new_path

    services.orgs_restructure_merge(actor=net.town_organiser, sources=[vb], target=net.va)
    vb = PartyOrg.objects.get(pk=net.vb.pk)
    assert vb.kind == OrgKind.GRID_BRANCH
    assert vb.parent_id == net.va.pk and vb.path.startswith(PartyOrg.objects.get(pk=net.va.pk).path)
    change = PartyOrgChange.objects.get(org=vb, kind=OrgChangeKind.RESTRUCTURE)
    assert change.old_kind == OrgKind.VILLAGE_BRANCH
    assert change.old_parent_id == net.town.pk
    assert change.old_path_names == "程集镇党委 / 王庄村党支部"
    # members stay with their (now grid) branch
    assert PartyMember.objects.get(pk=net.m5.pk).org_id == vb.pk
    assert branch_of(vb).pk == vb.pk


def test_restructuring_refuses_before_the_villages_merge(net):
    with pytest.raises(DomainError) as exc:
        services.orgs_restructure_merge(actor=None, sources=[net.vb], target=net.va)
    assert exc.value.field == "sources"
    assert PartyOrg.objects.get(pk=net.vb.pk).kind == OrgKind.VILLAGE_BRANCH


def test_contact_quota_inherits(net, settings):
    settings.WANGGE_PARTY_CONTACT_QUOTA = (8, 12)
    assert contact_quota(net.a1) == (8, 12)
    services.org_set_areas(actor=None, org=net.va, contact_quota_min=5, contact_quota_max=9)
    assert contact_quota(net.a1) == (5, 9)
    with pytest.raises(DomainError):
        services.org_set_areas(actor=None, org=net.a1, contact_quota_min=5, contact_quota_max=3)


def test_member_from_resident_takes_birth_date(net):
    hh = make_household(net.t.grid_a1)
    res = make_resident(hh, name="赵老")
    m = services.member_create(
        actor=net.va_organiser, org=net.a1, name="", join_date=dt.date(1980, 1, 1), resident=res
    )
    assert m.name == "赵老" and m.birth_date == res.birth_date
    res.refresh_from_db()
    assert res.is_party_member
    with pytest.raises(DomainError):
        services.member_create(
            actor=None, org=net.a1, name="x", join_date=dt.date(2000, 1, 1), resident=res
        )


def test_member_rules(net):
    with pytest.raises(DomainError):
        services.member_create(actor=None, org=net.town, name="x", join_date=dt.date(2000, 1, 1))
    with pytest.raises(DomainError):
        services.member_create(
            actor=None, org=net.a1, name="x", join_date=dt.date(2000, 1, 1), grid_level=5
        )
    with pytest.raises(PermissionDenied):
        services.member_create(
            actor=net.vb_organiser, org=net.a1, name="x", join_date=dt.date(2000, 1, 1)
        )
    p = services.member_create(
        actor=net.a1_secretary,
        org=net.a1,
        name="新人",
        join_date=dt.date(2024, 7, 1),
        status=MemberStatus.PROBATIONARY,
        grid_level=GridLevel.MEMBER,
    )
    services.member_confirm_full(actor=net.a1_secretary, member=p)
    with pytest.raises(TransitionNotAllowed):
        services.member_confirm_full(actor=net.a1_secretary, member=p)


def test_over_60(net):
    from wangge.party.selectors import members_filter_over_60

    services.member_update(actor=None, member=net.m1, birth_date=dt.date(1950, 5, 5))
    services.member_update(actor=None, member=net.m2, birth_date=dt.date(1990, 5, 5))
    old = set(members_filter_over_60(PartyMember.objects.all()).values_list("pk", flat=True))
    assert old == {net.m1.pk}
    assert PartyMember.objects.get(pk=net.m1.pk).is_over_60


def test_dual_registration(net):
    from wangge.accounts.choices import Role
    from wangge.party.selectors import dual_registrations_for_community
    from wangge.testing.factories import user_with_post

    with pytest.raises(DomainError):
        services.dual_register(actor=None, member=net.m1, community=net.t.village_b)
    services.member_update(actor=None, member=net.m1, is_in_service=True, workplace="区税务局")
    with pytest.raises(DomainError):
        services.dual_register(actor=None, member=net.m1, community=net.t.grid_b1)
    reg = services.dual_register(actor=net.m1.user, member=net.m1, community=net.t.village_b)
    services.service_record_add(
        actor=net.m1.user, registration=reg, date=reg.registered_on, description="政策宣讲", hours=2
    )
    with pytest.raises(DomainError):
        services.service_record_add(
            actor=net.m1.user, registration=reg, date=reg.registered_on, description="x", hours=30
        )
    chief = user_with_post(net.t.village_b, Role.VILLAGE_GRID_CHIEF)
    rows = list(dual_registrations_for_community(user=chief, community=net.t.village_b))
    assert [r.member_id for r in rows] == [net.m1.pk]
    assert rows[0].service_count == 1
    other = user_with_post(net.t.village_a, Role.VILLAGE_GRID_CHIEF)
    assert not dual_registrations_for_community(user=other, community=net.t.village_b).exists()
