"""A small party network on the test territory.

town committee 程集镇党委 (town)
├── 程集村党委 (village A, village committee)
│   ├── 第一网格党支部 (grid A1)          — members m1, m2, m3 (m1, m2 with accounts)
│   ├── 第二网格党支部 (grid A2)          — member m4
│   └── 联合党小组 (area village A, covers grids A1 and A2)
└── 王庄村党支部 (village B, village branch) — member m5
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from wangge.accounts.choices import Role
from wangge.party import services
from wangge.party.choices import OrgKind
from wangge.testing.factories import UserFactory, user_with_post


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The factories set real passwords; the default hasher costs ~0.5 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def net(territory):
    t = territory
    town = services.org_create(
        actor=None, parent=None, name="程集镇党委", kind=OrgKind.TOWN_COMMITTEE, area=t.town
    )
    va = services.org_create(
        actor=None, parent=town, name="程集村党委", kind=OrgKind.VILLAGE_COMMITTEE, area=t.village_a
    )
    vb = services.org_create(
        actor=None, parent=town, name="王庄村党支部", kind=OrgKind.VILLAGE_BRANCH, area=t.village_b
    )
    a1 = services.org_create(
        actor=None, parent=va, name="第一网格党支部", kind=OrgKind.GRID_BRANCH, area=t.grid_a1
    )
    a2 = services.org_create(
        actor=None, parent=va, name="第二网格党支部", kind=OrgKind.GRID_BRANCH, area=t.grid_a2
    )
    group = services.org_create(
        actor=None,
        parent=va,
        name="联合党小组",
        kind=OrgKind.PARTY_GROUP,
        area=t.village_a,
        areas=[t.grid_a1, t.grid_a2],
    )
    town_organiser = user_with_post(t.town, Role.PARTY_ORGANISER)
    va_organiser = user_with_post(t.village_a, Role.PARTY_ORGANISER)
    vb_organiser = user_with_post(t.village_b, Role.PARTY_ORGANISER)
    a1_secretary = UserFactory()
    services.org_set_organisers(actor=None, org=a1, users=[a1_secretary])
    u1, u2, u3 = UserFactory(), UserFactory(), UserFactory()
    joined = dt.date(2010, 7, 1)
    m1 = services.member_create(actor=None, org=a1, name="李一", join_date=joined, user=u1)
    m2 = services.member_create(actor=None, org=a1, name="李二", join_date=joined, user=u2)
    m3 = services.member_create(actor=None, org=a1, name="李三", join_date=joined, user=u3)
    m4 = services.member_create(actor=None, org=a2, name="李四", join_date=joined)
    m5 = services.member_create(actor=None, org=vb, name="王五", join_date=joined)
    return SimpleNamespace(
        t=t,
        town=town,
        va=va,
        vb=vb,
        a1=a1,
        a2=a2,
        group=group,
        town_organiser=town_organiser,
        va_organiser=va_organiser,
        vb_organiser=vb_organiser,
        a1_secretary=a1_secretary,
        m1=m1,
        m2=m2,
        m3=m3,
        m4=m4,
        m5=m5,
    )
