"""Fieldwork on the test territory (county → town 程集镇 → villages A, B → grids A1, A2, B1, B2).

- worker: full-time grid worker on grid A1 (网格员甲); worker_b on grid B1
- chief: village grid chief of village A; town: town grid office (MANAGE_FIELDWORK on the town)
- households: h1, h2 in A1 (h1 困难户, key), h3 in A2, h4 in B1
- a party branch of village A with member 党员李 (account `member_user`), contact for h2 and h3
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.accounts.models import Post
from wangge.people.models import Tag
from wangge.testing.factories import UserFactory, make_household, user_with_post


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def fw(territory):
    from wangge.party import services as party
    from wangge.party.choices import OrgKind

    t = territory
    worker = user_with_post(t.grid_a1, Role.GRID_WORKER, full_name="网格员甲")
    worker_b = user_with_post(t.grid_b1, Role.GRID_WORKER, full_name="网格员乙")
    chief = user_with_post(t.village_a, Role.VILLAGE_GRID_CHIEF, full_name="村网格长")
    town = user_with_post(t.town, Role.TOWN_ADMIN, full_name="镇网格办")
    # Posts held since the start of the year, so that tests may replay fixed past days.
    Post.objects.update(start_date=dt.date(2026, 1, 1))
    hardship = Tag.objects.get(code="hardship")
    h1 = make_household(t.grid_a1, number="A1-001", tags=[hardship])
    h2 = make_household(t.grid_a1, number="A1-002")
    h3 = make_household(t.grid_a2, number="A2-001")
    h4 = make_household(t.grid_b1, number="B1-001", tags=[hardship])
    town_org = party.org_create(
        actor=None, parent=None, name="程集镇党委", kind=OrgKind.TOWN_COMMITTEE, area=t.town
    )
    org = party.org_create(
        actor=None,
        parent=town_org,
        name="程集村党委",
        kind=OrgKind.VILLAGE_COMMITTEE,
        area=t.village_a,
    )
    member_user = UserFactory(full_name="党员李")
    member = party.member_create(
        actor=None, org=org, name="党员李", join_date=dt.date(2010, 7, 1), user=member_user
    )
    party.contact_assign(actor=None, member=member, household=h2)
    party.contact_assign(actor=None, member=member, household=h3)
    return SimpleNamespace(
        t=t,
        worker=worker,
        worker_b=worker_b,
        chief=chief,
        town=town,
        h1=h1,
        h2=h2,
        h3=h3,
        h4=h4,
        org=org,
        member=member,
        member_user=member_user,
    )
