"""Who may manage the party network: Capability.MANAGE_PARTY over the area (party organiser,
town office, county administrator) or an organiser of the organisation or one above it; and
the town organ branch 机关支部."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as global_apps
from django.urls import reverse
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.core.errors import DomainError, PermissionDenied
from wangge.party import selectors, services
from wangge.party.choices import MeetingKind, OrgKind
from wangge.party.models import Contact, DualRegistration, Meeting, PartyMember, PartyOrg
from wangge.testing.factories import UserFactory, make_household, user_with_post

pytestmark = pytest.mark.django_db

JOINED = dt.date(2012, 7, 1)


def _snapshot():
    return (
        PartyOrg.objects.count(),
        PartyMember.objects.count(),
        Contact.objects.count(),
        Meeting.objects.count(),
    )


@pytest.mark.parametrize(
    ("role", "where", "allowed"),
    [
        (Role.COUNTY_ADMIN, "county", True),
        (Role.TOWN_ADMIN, "town", True),
        (Role.PARTY_ORGANISER, "town", True),
        (Role.PARTY_ORGANISER, "village_a", True),
        (Role.TOWN_GRID_CHIEF, "town", False),
        (Role.VILLAGE_GRID_CHIEF, "village_a", False),
        (Role.STATIONED_CADRE, "village_a", False),
        (Role.SUPERVISOR, "town", False),
        (Role.GRID_WORKER, "grid_a1", False),
        (Role.VOLUNTEER, "grid_a1", False),
    ],
)
def test_role_matrix_for_creating_an_organisation(net, role, where, allowed):
    user = user_with_post(getattr(net.t, where), role)
    before = _snapshot()
    kwargs = dict(
        actor=user, parent=net.a1, name="新党小组", kind=OrgKind.PARTY_GROUP, area=net.t.grid_a1
    )
    if allowed:
        org = services.org_create(**kwargs)
        assert org.parent_id == net.a1.pk
        assert selectors.can_manage_org(user, net.a1)
    else:
        with pytest.raises(PermissionDenied):
            services.org_create(**kwargs)
        assert _snapshot() == before
        assert not selectors.can_manage_org(user, net.a1)
        with pytest.raises(PermissionDenied):
            services.member_create(actor=user, org=net.a1, name="张三", join_date=JOINED)
        assert _snapshot() == before


def test_grid_worker_cannot_create_a_town_committee(net):
    worker = user_with_post(net.t.grid_a1, Role.GRID_WORKER)
    with pytest.raises(PermissionDenied):
        services.org_create(
            actor=worker, parent=None, name="X镇党委", kind=OrgKind.TOWN_COMMITTEE, area=net.t.town
        )
    assert not PartyOrg.objects.filter(name="X镇党委").exists()


def test_an_organiser_of_a_group_cannot_create_a_root_in_its_area(net):
    """Running an organisation in an area is not the capability to found a town committee."""
    secretary = UserFactory()
    services.org_set_organisers(actor=None, org=net.group, users=[secretary])
    assert selectors.can_manage_org(secretary, net.group)
    with pytest.raises(PermissionDenied):
        services.org_create(
            actor=secretary,
            parent=None,
            name="另立党委",
            kind=OrgKind.TOWN_COMMITTEE,
            area=net.t.village_a,
        )
    assert not PartyOrg.objects.filter(name="另立党委").exists()


def test_branch_organiser_manages_its_branch_not_the_sibling(net, client):
    sec = net.a1_secretary
    group = services.org_create(
        actor=sec, parent=net.a1, name="一组", kind=OrgKind.PARTY_GROUP, area=net.t.grid_a1
    )
    assert group.parent_id == net.a1.pk
    services.member_create(actor=sec, org=net.a1, name="新党员", join_date=JOINED)
    before = _snapshot()
    hh = make_household(net.t.grid_a2)
    today = timezone.localdate()
    attempts = [
        lambda: services.org_create(
            actor=sec, parent=net.a2, name="二组", kind=OrgKind.PARTY_GROUP, area=net.t.grid_a2
        ),
        lambda: services.org_rename(actor=sec, org=net.a2, name="改名"),
        lambda: services.member_create(actor=sec, org=net.a2, name="外人", join_date=JOINED),
        lambda: services.member_update(actor=sec, member=net.m4, name="改名"),
        lambda: services.contact_assign(actor=sec, member=net.m4, household=hh),
        lambda: services.meeting_record(
            actor=sec, org=net.a2, kind=MeetingKind.THEME_DAY, date=today, topic="主题党日"
        ),
        lambda: services.model_post_create(actor=sec, org=net.a2, kind="policy", title="宣传岗"),
        lambda: services.team_create(actor=sec, org=net.a2, name="志愿队"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert _snapshot() == before
    assert PartyOrg.objects.get(pk=net.a2.pk).name == "第二网格党支部"
    assert PartyMember.objects.get(pk=net.m4.pk).name == "李四"
    # and the sibling's pages answer 404
    client.force_login(sec)
    for url in (
        reverse("party:org_detail", args=[net.a2.pk]),
        reverse("party:meeting_list", args=[net.a2.pk]),
        reverse("party:meeting_new", args=[net.a2.pk]),
        reverse("party:coverage", args=[net.a2.pk]),
    ):
        assert client.get(url).status_code == 404, url
    r = client.post(
        reverse("party:meeting_new", args=[net.a2.pk]),
        {"kind": MeetingKind.THEME_DAY, "date": today.isoformat(), "topic": "x"},
    )
    assert r.status_code == 404 and Meeting.objects.count() == before[3]


def test_reader_sees_but_cannot_record(net, client):
    """A town grid chief reads the party network of the town but cannot record in it."""
    chief = user_with_post(net.t.town, Role.TOWN_GRID_CHIEF)
    client.force_login(chief)
    assert client.get(reverse("party:meeting_list", args=[net.a1.pk])).status_code == 200
    r = client.get(reverse("party:meeting_new", args=[net.a1.pk]))
    assert r.status_code == 403


def test_town_office_runs_the_town_committee(net):
    office = user_with_post(net.t.town, Role.TOWN_ADMIN)
    assert selectors.is_org_organiser(office, net.town)
    assert not selectors.is_org_organiser(office, net.va)
    worker = user_with_post(net.t.town, Role.TOWN_GRID_CHIEF)
    assert not selectors.is_org_organiser(worker, net.town)


# -- the town organ branch 机关支部 ----------------------------------------------------------


def test_organ_branch_under_the_town_committee(net):
    organ = services.org_create(
        actor=net.town_organiser,
        parent=net.town,
        name="程集镇机关党支部",
        kind=OrgKind.ORGAN_BRANCH,
        area=net.t.town,
    )
    assert selectors.branch_of(organ) == organ
    official = services.member_create(
        actor=net.town_organiser, org=organ, name="镇干部", join_date=JOINED
    )
    assert official.is_in_service  # town staff are in-service members
    reg = services.dual_register(
        actor=net.town_organiser, member=official, community=net.t.village_a
    )
    assert reg.community_path == net.t.village_a.path
    # the village sees who reported in
    assert list(
        selectors.dual_registrations_for_community(user=net.va_organiser, community=net.t.village_a)
    ) == [reg]
    services.member_update(actor=net.town_organiser, member=official, is_in_service=False)
    reg2 = services.dual_register(actor=None, member=official, community=net.t.village_b)
    assert reg2.pk  # still allowed: a member of the organ branch


@pytest.mark.parametrize(
    ("parent", "area"),
    [("va", "village_a"), ("town", "village_a"), ("vb", "village_b")],
)
def test_organ_branch_only_on_the_town(net, parent, area):
    before = PartyOrg.objects.count()
    with pytest.raises(DomainError):
        services.org_create(
            actor=None,
            parent=getattr(net, parent),
            name="机关党支部",
            kind=OrgKind.ORGAN_BRANCH,
            area=getattr(net.t, area),
        )
    assert PartyOrg.objects.count() == before


def test_migration_turns_the_old_town_staff_branch_into_an_organ_branch(net):
    old = services.org_create(
        actor=None,
        parent=net.town,
        name="程集镇机关党支部",
        kind=OrgKind.VILLAGE_BRANCH,
        area=net.t.town,
    )
    migration = importlib.import_module("wangge.party.migrations.0002_organ_branch")
    migration.village_branches_on_the_town_to_organ(global_apps, None)
    assert PartyOrg.objects.get(pk=old.pk).kind == OrgKind.ORGAN_BRANCH
    assert PartyOrg.objects.get(pk=net.vb.pk).kind == OrgKind.VILLAGE_BRANCH
    assert old.changes.filter(new_kind=OrgKind.ORGAN_BRANCH).exists()


def test_dual_registration_needs_an_in_service_or_organ_member(net):
    with pytest.raises(DomainError):
        services.dual_register(actor=None, member=net.m1, community=net.t.village_a)
    assert not DualRegistration.objects.exists()
