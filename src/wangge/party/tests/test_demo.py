"""The party demo step (party/demo.py) on the tiny preset: the tree, the members and their
links, contacts within quota, and what the selectors count agrees with a recount."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Exists, OuterRef, Q

from wangge import demo
from wangge.areas.choices import AreaKind, AreaLevel
from wangge.areas.models import Area
from wangge.demo import presets
from wangge.party.choices import ALLOWED_PARENT_KINDS, GridLevel, OrgKind, RatingState
from wangge.party.demo import group_counts
from wangge.party.models import Contact, PartyMember, PartyOrg, StarRating
from wangge.party.selectors import (
    contact_coverage,
    contact_quota,
    covered_paths,
    is_org_organiser,
    members_over_quota,
)
from wangge.people.models import Household, Resident

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def tiny(db):
    return demo.build(preset="tiny", seed=7, today=TODAY)


def _grids_per_village(plan):
    ordinary, grids = [], []
    for town in plan.towns:
        for v in town.villages:
            ordinary.append(v.grids - len(v.dedicated))
            grids.append(v.grids)
    return ordinary, grids


@pytest.mark.parametrize(("preset", "expected"), [("town", 69), ("county", 600), ("tiny", 2)])
def test_group_counts_follow_the_seeds(preset, expected):
    plan = presets.get_plan(preset, 1)
    counts = group_counts(preset, *_grids_per_village(plan))
    assert sum(counts) == expected
    assert all(c >= 1 for c in counts)
    ordinary, _ = _grids_per_village(plan)
    assert all(c <= n for c, n in zip(counts, ordinary, strict=True))


def test_the_tree_is_consistent(tiny):
    assert not any(PartyOrg.objects.find_problems())
    orgs = {o.pk: o for o in PartyOrg.objects.select_related("area")}
    for o in orgs.values():
        assert o.area_path == o.area.path
        parent = orgs.get(o.parent_id)
        assert (parent.kind if parent else None) in ALLOWED_PARENT_KINDS[o.kind]
        if parent is not None:
            assert o.path.startswith(parent.path) and o.depth == parent.depth + 1
            assert o.area_path.startswith(parent.area_path)
        for a in o.areas.all():
            assert a.path.startswith(o.area_path)
    kinds = {o.kind for o in orgs.values()}
    assert {OrgKind.TOWN_COMMITTEE, OrgKind.GRID_BRANCH, OrgKind.PARTY_GROUP} <= kinds
    assert PartyOrg.objects.filter(kind=OrgKind.PARTY_GROUP).count() == 2
    # Every grid (dedicated ones too) is served by exactly one party group.
    groups = PartyOrg.objects.filter(kind=OrgKind.PARTY_GROUP).prefetch_related("areas")
    served = [p for g in groups for p in covered_paths(g)]
    grids = Area.objects.filter(level=AreaLevel.GRID).exclude(kind=AreaKind.ENTERPRISE)
    for grid in grids:
        assert sum(grid.path.startswith(p) for p in served) == 1, grid.name
    assert (
        PartyOrg.objects.filter(
            kind__in=[OrgKind.VILLAGE_COMMITTEE, OrgKind.GENERAL_BRANCH]
        ).count()
        == Area.objects.filter(level=AreaLevel.VILLAGE).count()
    )


def test_members_are_linked_and_levelled(tiny):
    members = PartyMember.objects.select_related("org", "resident", "user")
    assert members.exists()
    for m in members:
        assert m.area_path == m.org.area_path
        assert m.org.kind != OrgKind.TOWN_COMMITTEE
        assert m.join_date <= TODAY
        assert (m.resident_id is None) != (m.user_id is None)
        if m.resident is not None:
            assert m.resident.is_party_member
            assert (m.name, m.birth_date) == (m.resident.name, m.resident.birth_date)
        if m.grid_level == GridLevel.GROUP:
            assert m.org.kind == OrgKind.PARTY_GROUP
        if m.is_central_household:
            assert m.org.kind == OrgKind.CENTRAL_HOUSEHOLD
        if m.is_mobile:
            assert m.resident.is_away
    # Resident.is_party_member is true exactly for the residents who are members.
    flagged = set(Resident.objects.filter(is_party_member=True).values_list("pk", flat=True))
    linked = set(members.exclude(resident=None).values_list("resident_id", flat=True))
    assert flagged == linked
    # One leader per group, at level 3.
    for group in PartyOrg.objects.filter(kind=OrgKind.PARTY_GROUP):
        assert group.members.filter(grid_level=GridLevel.GROUP).count() == 1
    # Town leaders are level 1, the village secretaries (grid chiefs) level 2.
    assert members.filter(grid_level=GridLevel.TOWNSHIP).exists()
    for m in members.filter(grid_level=GridLevel.TOWNSHIP):
        assert m.user is not None and m.org.area.level == AreaLevel.TOWN


def test_the_chief_login_runs_the_village_organisation(tiny):
    chief = tiny.context.logins["chief"]
    member = PartyMember.objects.select_related("org").get(user=chief)
    assert member.grid_level == GridLevel.VILLAGE
    assert member.org.kind in (OrgKind.VILLAGE_COMMITTEE, OrgKind.GENERAL_BRANCH)
    assert is_org_organiser(chief, member.org)
    # The grid branches under it have ratings waiting for the chief's approval.
    assert StarRating.objects.filter(branch__parent=member.org, state=RatingState.PROPOSED).exists()
    assert not PartyMember.objects.filter(user=tiny.context.logins["worker"]).exists()


def test_contacts_respect_areas_and_quota(tiny):
    assert not members_over_quota(user=tiny.context.logins["admin"])
    loads = dict(
        PartyMember.objects.annotate(
            n=Count("contacts", filter=Q(contacts__ended_on__isnull=True))
        ).values_list("pk", "n")
    )
    for m in PartyMember.objects.select_related("org"):
        lo, hi = contact_quota(m.org)
        if m.grid_level >= GridLevel.GROUP and not m.is_mobile and not m.is_in_service:
            assert lo <= loads[m.pk] <= hi, m
        else:
            assert loads[m.pk] == 0, m
    for c in Contact.objects.select_related("member__org", "household"):
        paths = covered_paths(c.member.org)
        assert any(c.household.area_path.startswith(p) for p in paths)
        assert c.assigned_on <= TODAY


def test_coverage_selector_agrees_with_a_recount(tiny):
    admin = tiny.context.logins["admin"]
    coverage = contact_coverage(user=admin)
    covered = Contact.objects.filter(ended_on__isnull=True).values("household").distinct()
    assert coverage.households == Household.objects.count()
    assert coverage.covered == covered.count()
    assert coverage.uncovered == Household.objects.count() - covered.count()
    assert coverage.members == PartyMember.objects.filter(is_active=True).count()
    active = Contact.objects.filter(member=OuterRef("pk"), ended_on__isnull=True)
    idle = PartyMember.objects.exclude(Exists(active)).count()
    assert coverage.members_without_contacts == idle
    assert coverage.rate > 85
    for village in Area.objects.filter(level=AreaLevel.VILLAGE):
        part = contact_coverage(user=admin, area=village)
        assert part.covered == (
            Contact.objects.filter(
                ended_on__isnull=True, household__area_path__startswith=village.path
            ).count()
        )
