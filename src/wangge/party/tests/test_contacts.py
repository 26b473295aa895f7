import datetime as dt

import pytest
from django.utils import timezone

from wangge.core.errors import DomainError, PermissionDenied
from wangge.party import services
from wangge.party.models import Contact
from wangge.party.selectors import (
    contact_coverage,
    contact_member_for_household,
    households_without_contact,
    key_households_not_visited,
    members_over_quota,
)
from wangge.people.models import Household, Tag
from wangge.testing.factories import make_household

pytestmark = pytest.mark.django_db


def test_assign_inside_the_organisation_areas(net):
    hh = make_household(net.t.grid_a1)
    c = services.contact_assign(actor=net.a1_secretary, member=net.m1, household=hh)
    assert contact_member_for_household(hh) == net.m1
    assert c.assigned_by == net.a1_secretary


def test_assign_outside_the_organisation_areas_is_refused(net):
    hh = make_household(net.t.grid_a2)
    with pytest.raises(DomainError) as exc:
        services.contact_assign(actor=None, member=net.m1, household=hh)
    assert exc.value.field == "household"
    assert hh.number in str(exc.value.message) and "第一网格党支部" in str(exc.value.message)
    assert not Contact.objects.exists()
    assert contact_member_for_household(hh) is None


def test_a_group_spanning_grids_may_contact_both(net):
    m = services.member_create(
        actor=None, org=net.group, name="组员", join_date=dt.date(2001, 1, 1)
    )
    for grid in (net.t.grid_a1, net.t.grid_a2):
        services.contact_assign(actor=None, member=m, household=make_household(grid))
    with pytest.raises(DomainError):
        services.contact_assign(actor=None, member=m, household=make_household(net.t.grid_b1))


def test_one_contact_per_household_and_quota(net):
    services.org_set_areas(actor=None, org=net.a1, contact_quota_min=1, contact_quota_max=2)
    hhs = [make_household(net.t.grid_a1) for _ in range(3)]
    services.contact_assign(actor=None, member=net.m1, household=hhs[0])
    with pytest.raises(DomainError):
        services.contact_assign(actor=None, member=net.m2, household=hhs[0])
    services.contact_assign(actor=None, member=net.m1, household=hhs[1])
    with pytest.raises(DomainError) as exc:
        services.contact_assign(actor=None, member=net.m1, household=hhs[2])
    assert exc.value.field == "member"


def test_assign_needs_scope(net):
    hh = make_household(net.t.grid_a1)
    with pytest.raises(PermissionDenied):
        services.contact_assign(actor=net.vb_organiser, member=net.m1, household=hh)


def test_coverage_counts_equal_a_recount(net):
    hhs = [make_household(g) for g in net.t.grids for _ in range(3)]
    for hh in hhs[:2]:
        services.contact_assign(actor=None, member=net.m1, household=hh)
    services.contact_assign(actor=None, member=net.m4, household=hhs[3])
    ended = services.contact_assign(actor=None, member=net.m5, household=hhs[7])
    services.contact_end(actor=None, contact=ended)

    cov = contact_coverage(user=net.town_organiser)
    covered = {c.household_id for c in Contact.objects.all() if c.ended_on is None}
    assert cov.households == len(hhs) == Household.objects.count()
    assert cov.covered == len(covered) == 3
    assert cov.uncovered == len(hhs) - 3
    uncovered = set(
        households_without_contact(user=net.town_organiser).values_list("pk", flat=True)
    )
    assert uncovered == {h.pk for h in hhs} - covered

    cov_a = contact_coverage(user=net.va_organiser)
    assert cov_a.households == 6 and cov_a.covered == 3
    assert cov_a.members == 4 and cov_a.members_without_contacts == 2


def test_key_households_not_visited(net):
    key = Tag.objects.get(code="hardship")
    plain = Tag.objects.get(code="migrant")
    visited = make_household(net.t.grid_a1, tags=[key])
    stale = make_household(net.t.grid_a1, tags=[key])
    orphan = make_household(net.t.grid_a1, tags=[key])
    make_household(net.t.grid_a1, tags=[plain])
    for hh in (visited, stale):
        services.contact_assign(actor=None, member=net.m1, household=hh)
    now = timezone.now()
    services.contact_record_visit(actor=None, household=visited, at=now - dt.timedelta(days=3))
    services.contact_record_visit(actor=None, household=stale, at=now - dt.timedelta(days=40))
    # a visit by someone else does not count for the contact member
    services.contact_record_visit(actor=None, household=stale, at=now, member=net.m2)
    rows = set(
        key_households_not_visited(user=net.va_organiser, days=30).values_list("pk", flat=True)
    )
    assert rows == {stale.pk, orphan.pk}


def test_members_over_quota(net):
    hhs = [make_household(net.t.grid_a1) for _ in range(3)]
    for hh in hhs:
        services.contact_assign(actor=None, member=net.m1, household=hh)
    services.contact_assign(actor=None, member=net.m2, household=make_household(net.t.grid_a1))
    assert members_over_quota(user=net.va_organiser) == []
    services.org_set_areas(actor=None, org=net.a1, contact_quota_min=1, contact_quota_max=2)
    assert [m.pk for m in members_over_quota(user=net.va_organiser)] == [net.m1.pk]
    assert members_over_quota(user=net.vb_organiser) == []


def test_balancing_proposal_respects_quotas(net):
    services.org_set_areas(actor=None, org=net.a1, contact_quota_min=2, contact_quota_max=3)
    hhs = [make_household(net.t.grid_a1) for _ in range(11)]
    services.contact_assign(actor=None, member=net.m1, household=hhs[0])
    services.contact_assign(actor=None, member=net.m1, household=hhs[1])
    plan = services.contacts_propose(actor=net.va_organiser, grid=net.t.grid_a1)
    # m1..m3 (quota 3 each, m1 already 2) plus the village committee has no members:
    # 9 places, 2 taken → 7 assignments, 2 households left over.
    assert len(plan.assignments) == 7
    assert len(plan.unassigned) == 2
    assert {h for h, _m in plan.assignments}.isdisjoint({hhs[0].pk, hhs[1].pk})
    assert plan.loads == {net.m1.pk: 3, net.m2.pk: 3, net.m3.pk: 3}
    # nothing is written by the proposal
    assert Contact.objects.count() == 2
    services.contacts_apply_plan(actor=net.va_organiser, plan=plan)
    loads = {
        m: Contact.objects.filter(member_id=m, ended_on__isnull=True).count()
        for m in (net.m1.pk, net.m2.pk, net.m3.pk)
    }
    assert loads == {net.m1.pk: 3, net.m2.pk: 3, net.m3.pk: 3}


def test_balancing_spreads_evenly_and_fills_minimum_first(net):
    hhs = [make_household(net.t.grid_a1) for _ in range(6)]
    services.contact_assign(actor=None, member=net.m1, household=hhs[0])
    plan = services.contacts_propose(actor=None, grid=net.t.grid_a1)
    assert plan.unassigned == []
    assert sorted(plan.loads.values()) == [2, 2, 2]


def test_stale_plan_is_refused_as_a_whole(net):
    hhs = [make_household(net.t.grid_a1) for _ in range(2)]
    plan = services.contacts_propose(actor=None, grid=net.t.grid_a1)
    services.contact_assign(actor=None, member=net.m3, household=hhs[1])
    with pytest.raises(DomainError):
        services.contacts_apply_plan(actor=None, plan=plan)
    assert Contact.objects.count() == 1


def test_proposal_needs_scope_and_a_grid(net):
    with pytest.raises(PermissionDenied):
        services.contacts_propose(actor=net.vb_organiser, grid=net.t.grid_a1)
    with pytest.raises(DomainError):
        services.contacts_propose(actor=None, grid=net.t.village_a)


def test_transfer_ends_contacts_outside_new_areas(net):
    hh = make_household(net.t.grid_a1)
    services.contact_assign(actor=None, member=net.m1, household=hh)
    services.member_transfer(actor=net.va_organiser, member=net.m1, org=net.a2)
    assert contact_member_for_household(hh) is None
