"""The coverage check 联户覆盖 of a branch and of the town: figures that match a recount on
random data, the N-days parameter, the lists, the xlsx export, scope and query counts."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from wangge.core.audit import AuditEntry
from wangge.party import selectors, services
from wangge.party.exports import NOT_VISITED, OVER_QUOTA, UNCOVERED
from wangge.party.models import Contact, PartyMember, PartyOrg
from wangge.people.models import Household, Tag
from wangge.testing.factories import make_household

pytestmark = pytest.mark.django_db


def _random_network(net, seed: int):
    """Random households (some key-tagged), members, contacts, last contacts and quotas."""
    rng = random.Random(seed)
    key_tags = list(Tag.objects.filter(is_key=True)[:3])
    plain = list(Tag.objects.filter(is_key=False)[:2])
    now = timezone.now()
    orgs = [net.a1, net.a2, net.vb]
    grids = {
        net.a1.pk: [net.t.grid_a1],
        net.a2.pk: [net.t.grid_a2],
        net.vb.pk: [net.t.grid_b1, net.t.grid_b2],
    }
    members = {o.pk: list(PartyMember.objects.filter(org=o)) for o in orgs}
    for o in orgs:
        for i in range(rng.randint(1, 3)):
            members[o.pk].append(
                services.member_create(
                    actor=None, org=o, name=f"随机{o.pk}-{i}", join_date=dt.date(2000, 1, 1)
                )
            )
    # a quota low enough for some members to be over it
    PartyOrg.objects.filter(pk=net.a1.pk).update(contact_quota_min=1, contact_quota_max=3)
    PartyOrg.objects.filter(pk=net.va.pk).update(contact_quota_min=1, contact_quota_max=4)
    for o in orgs:
        for _ in range(rng.randint(8, 16)):
            grid = rng.choice(grids[o.pk])
            tags = rng.sample(key_tags, rng.randint(0, 2)) + rng.sample(plain, rng.randint(0, 1))
            hh = make_household(grid, tags=tags)
            if rng.random() < 0.7:
                member = rng.choice(members[o.pk])
                # bypass the quota check: over-quota members are what the check must find
                c = Contact.objects.create(
                    member=member, household=hh, assigned_on=dt.date(2025, 1, 1)
                )
                if rng.random() < 0.2:
                    Contact.objects.filter(pk=c.pk).update(ended_on=dt.date(2025, 6, 1))
                elif rng.random() < 0.8:
                    Contact.objects.filter(pk=c.pk).update(
                        last_contact_at=now - dt.timedelta(days=rng.randint(0, 90), hours=1)
                    )
    return now


def _recount(org, days, now):
    """The figures by hand, in Python, from the raw rows."""
    paths = selectors.covered_paths(org)
    households = [
        h for h in Household.objects.all() if any(h.area_path.startswith(p) for p in paths)
    ]
    active = {c.household_id: c for c in Contact.objects.filter(ended_on__isnull=True)}
    key_ids = set(Household.objects.filter(tags__is_key=True).values_list("pk", flat=True))
    since = now - dt.timedelta(days=days)
    not_visited = [
        h
        for h in households
        if h.pk in key_ids
        and not (
            h.pk in active
            and active[h.pk].last_contact_at is not None
            and active[h.pk].last_contact_at >= since
        )
    ]
    members = [
        m
        for m in PartyMember.objects.select_related("org")
        if m.org.path.startswith(org.path) and m.is_active
    ]
    loads = {m.pk: sum(1 for c in active.values() if c.member_id == m.pk) for m in members}
    over = [m for m in members if loads[m.pk] > selectors.contact_quota(m.org)[1]]
    return {
        "households": len(households),
        "covered": sum(1 for h in households if h.pk in active),
        "key_households": sum(1 for h in households if h.pk in key_ids),
        "key_not_visited": len(not_visited),
        "members": len(members),
        "members_without_contacts": sum(1 for m in members if loads[m.pk] == 0),
        "members_over_quota": len(over),
        "over_ids": {m.pk for m in over},
        "not_visited_ids": {h.pk for h in not_visited},
        "uncovered_ids": {h.pk for h in households if h.pk not in active},
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_coverage_matches_a_recount(net, seed):
    now = _random_network(net, seed)
    for org in (net.town, net.va, net.a1, net.vb):
        for days in (7, 30, 60):
            cov = selectors.org_coverage(user=net.town_organiser, org=org, days=days, now=now)
            want = _recount(org, days, now)
            got = {k: getattr(cov, k) for k in want if not k.endswith("_ids")}
            assert got == {k: v for k, v in want.items() if not k.endswith("_ids")}, (org, days)
            assert cov.uncovered == len(want["uncovered_ids"])
            user = net.town_organiser
            assert {
                h.pk for h in selectors.org_key_not_visited(user=user, org=org, days=days, now=now)
            } == want["not_visited_ids"]
            assert {m.pk for m in selectors.org_over_quota(user=user, org=org)} == want["over_ids"]
            assert {h.pk for h in selectors.org_uncovered(user=user, org=org)} == want[
                "uncovered_ids"
            ]


def test_coverage_page_days_parameter(client, net):
    key = Tag.objects.get(code="hardship")
    hh = make_household(net.t.grid_a1, tags=[key])
    services.contact_assign(actor=None, member=net.m1, household=hh)
    services.contact_record_visit(
        actor=None, household=hh, at=timezone.now() - dt.timedelta(days=10)
    )
    client.force_login(net.va_organiser)
    url = reverse("party:coverage", args=[net.a1.pk])
    r = client.get(url)
    assert (
        r.status_code == 200 and r.context["days"] == 30 and r.context["cov"].key_not_visited == 0
    )
    r = client.get(url + "?days=7&show=not_visited")
    assert r.context["cov"].key_not_visited == 1
    assert [h.pk for h in r.context["page"].object_list] == [hh.pk]
    for bad in ("0", "-3", "abc", "100000"):
        r = client.get(url + f"?days={bad}")
        assert r.status_code == 400 and r.context["form"].errors["days"]
    assert client.get(url + "?show=bogus").status_code == 400


def test_coverage_scope(client, net):
    client.force_login(net.a1_secretary)
    assert client.get(reverse("party:coverage", args=[net.a1.pk])).status_code == 200
    assert client.get(reverse("party:coverage", args=[net.a2.pk])).status_code == 404
    assert (
        client.get(reverse("party:coverage", args=[net.town.pk]) + "?export=xlsx").status_code
        == 404
    )
    # the secretary's view of the village-level lists only holds grid A1
    make_household(net.t.grid_a2)
    own = make_household(net.t.grid_a1)
    r = client.get(reverse("party:coverage", args=[net.a1.pk]))
    assert [h.pk for h in r.context["page"].object_list] == [own.pk]


def test_coverage_export(client, net):
    now = _random_network(net, 5)
    days = 20
    want = _recount(net.town, days, now)
    client.force_login(net.town_organiser)
    url = reverse("party:coverage", args=[net.town.pk]) + f"?days={days}&export=xlsx"
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r["Content-Disposition"]
    rows = list(
        load_workbook(io.BytesIO(r.content), read_only=True).active.iter_rows(values_only=True)
    )
    kinds = [row[0] for row in rows[1:]]
    assert kinds.count(UNCOVERED) == len(want["uncovered_ids"])
    assert kinds.count(NOT_VISITED) == want["key_not_visited"]
    assert kinds.count(OVER_QUOTA) == want["members_over_quota"]
    summary = {row[0]: row[2] for row in rows[1:10]}
    assert summary["程集镇党委·户数"] == want["households"]
    assert AuditEntry.objects.filter(verb="party.coverage.export").exists()
    few = len(ctx.captured_queries)
    _random_network(net, 6)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) <= few


@pytest.mark.parametrize("show", ["uncovered", "not_visited", "over_quota"])
def test_coverage_page_query_count_flat(client, net, show):
    client.force_login(net.town_organiser)
    url = reverse("party:coverage", args=[net.va.pk]) + f"?show={show}&days=15"
    _random_network(net, 8)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    _random_network(net, 9)
    assert count() <= few
    # the branch page too
    url2 = reverse("party:org_detail", args=[net.va.pk])
    with CaptureQueriesContext(connection) as ctx:
        client.get(url2)
    first = len(ctx.captured_queries)
    _random_network(net, 10)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url2)
    assert len(ctx.captured_queries) <= first
