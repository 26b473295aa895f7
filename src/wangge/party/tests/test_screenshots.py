"""Screenshots of the party pages at phone size (375×812) to test-results/party-*.png, and a
check that each renders without a script error and without horizontal scrolling. A minute of
browser time, so it runs only on demand: WANGGE_SCREENSHOTS=1 pytest
src/wangge/party/tests/test_screenshots.py (and needs Playwright and /usr/bin/chromium)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

if not os.environ.get("WANGGE_SCREENSHOTS"):
    pytest.skip("screenshots on demand (WANGGE_SCREENSHOTS=1)", allow_module_level=True)
pytest.importorskip("playwright")
if not Path("/usr/bin/chromium").exists():
    pytest.skip("no Chromium", allow_module_level=True)

from django.utils import timezone  # noqa: E402

from wangge.accounts.choices import Role  # noqa: E402
from wangge.people.models import Tag  # noqa: E402
from wangge.testing.browser import SHOTS, login, new_page, page_width  # noqa: E402
from wangge.testing.factories import (  # noqa: E402
    Territory,
    UserFactory,
    make_household,
    user_with_post,
)


def _data():
    from wangge.party import services as s
    from wangge.party.choices import MeetingKind, ModelPostKind, OrgKind

    t = Territory()
    town = s.org_create(
        actor=None, parent=None, name="程集镇党委", kind=OrgKind.TOWN_COMMITTEE, area=t.town
    )
    organ = s.org_create(
        actor=None, parent=town, name="程集镇机关党支部", kind=OrgKind.ORGAN_BRANCH, area=t.town
    )
    va = s.org_create(
        actor=None, parent=town, name="程集村党委", kind=OrgKind.VILLAGE_COMMITTEE, area=t.village_a
    )
    a1 = s.org_create(
        actor=None, parent=va, name="第一网格党支部", kind=OrgKind.GRID_BRANCH, area=t.grid_a1
    )
    member_user = UserFactory(username="dangyuan", full_name="李党员")
    me = s.member_create(
        actor=None, org=a1, name="李党员", join_date=dt.date(2008, 7, 1), user=member_user
    )
    key = Tag.objects.get(code="hardship")
    for i in range(4):
        hh = make_household(t.grid_a1, address=f"程集村一组{i + 1}号", tags=[key] if i % 2 else [])
        s.contact_assign(actor=None, member=me, household=hh)
        if i == 1:
            s.contact_record_visit(
                actor=None, household=hh, at=timezone.now() - dt.timedelta(days=3)
            )
        need = s.need_create(actor=None, household=hh, description=f"需求{i + 1}：帮助申请临时救助")
        if i == 0:
            s.need_claim(actor=None, need=need, member=me)
    for i, kind in enumerate(ModelPostKind.values):
        post = s.model_post_create(actor=None, org=va, kind=kind, title=f"示范岗{i + 1}")
        if i == 0:
            s.model_post_claim(actor=None, post=post, member=me)
    official = s.member_create(actor=None, org=organ, name="王干部", join_date=dt.date(2010, 7, 1))
    reg = s.dual_register(
        actor=None, member=official, community=t.village_a, registered_on=dt.date(2025, 3, 1)
    )
    s.service_record_add(
        actor=None, registration=reg, date=timezone.localdate(), description="环境整治", hours=3
    )
    s.meeting_record(
        actor=None,
        org=a1,
        kind=MeetingKind.THEME_DAY,
        date=timezone.localdate(),
        topic="主题党日：学习党章",
        present=[me],
    )
    call = s.call_create(
        actor=None, area=t.village_a, title="防汛值守", purpose="flood", starts_at=timezone.now()
    )
    organiser = user_with_post(t.town, Role.PARTY_ORGANISER, username="zuzhi")
    team = s.team_create(actor=None, org=va, name="防汛突击队", kind="commando", members=[me])
    return t, me, call, organiser, va, a1, team


def test_party_pages_at_phone_size(live_server, transactional_db, browser):
    t, me, call, organiser, va, a1, team = _data()
    SHOTS.mkdir(exist_ok=True)
    member_pages = [
        ("me", "/party/me/"),
        ("posts", "/party/posts/"),
        ("needs", "/party/needs/"),
        ("call", f"/party/calls/{call.pk}/"),
    ]
    staff_pages = [
        ("coverage", f"/party/orgs/{a1.pk}/coverage/?show=not_visited"),
        ("dual", f"/party/dual/{t.village_a.pk}/"),
        ("meetings", f"/party/orgs/{va.pk}/meetings/"),
        ("meeting-new", f"/party/orgs/{a1.pk}/meetings/new/"),
        ("calls", "/party/calls/"),
        ("org", f"/party/orgs/{va.pk}/"),
        ("teams", "/party/teams/"),
        ("team-new", f"/party/teams/new/?org={va.pk}"),
        ("team", f"/party/teams/{team.pk}/"),
        ("team-members", f"/party/teams/{team.pk}/members/"),
    ]
    for username, pages in (("dangyuan", member_pages), ("zuzhi", staff_pages)):
        page = new_page(browser)
        login(page, live_server.url, username)
        for name, url in pages:
            response = page.goto(live_server.url + url)
            assert response.status == 200, url
            width = page_width(page)
            page.screenshot(path=SHOTS / f"party-{name}.png", full_page=True)
            assert width <= 380, (url, width)
        assert page.js_errors == []
        page.context.close()
