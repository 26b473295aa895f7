"""A party member's journey at phone size 党员联户: the member logs in, opens a contact
household from their fieldwork page, records a visit 走访 with a need heard at the door, and
then claims 认领 that need on their party page. Screenshots of every step go to
test-results/. The party page belongs to the party app: it is read through visible text and
roles only, so that its layout may change."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from wangge.testing.browser import SHOTS, new_page
from wangge.testing.factories import Territory, UserFactory, make_household

NEED = "屋顶漏雨，希望帮忙联系维修"
CLAIM = re.compile(r"^\s*(认领|Claim)\s*$")


@pytest.fixture
def phone_page(browser):
    page = new_page(browser)
    return page, page.js_errors


def _network():
    from wangge.party import services as party
    from wangge.party.choices import OrgKind

    t = Territory()
    town = party.org_create(
        actor=None, parent=None, name="程集镇党委", kind=OrgKind.TOWN_COMMITTEE, area=t.town
    )
    village = party.org_create(
        actor=None, parent=town, name="程集村党委", kind=OrgKind.VILLAGE_COMMITTEE, area=t.village_a
    )
    user = UserFactory(username="lidang", full_name="李党员")
    member = party.member_create(
        actor=None, org=village, name="李党员", join_date=dt.date(2008, 7, 1), user=user
    )
    mine = make_household(t.grid_a1, number="A1-0007", address="程集村一组7号")
    other = make_household(t.grid_a2, number="A2-0003", address="程集村二组3号")
    make_household(t.grid_a1, number="A1-0008", address="程集村一组8号")  # not my contact
    party.contact_assign(actor=None, member=member, household=mine)
    party.contact_assign(actor=None, member=member, household=other)
    return t, member, mine


@pytest.mark.e2e
def test_member_visits_records_a_need_and_claims_it(live_server, transactional_db, phone_page):
    from wangge.fieldwork.models import Visit
    from wangge.party.choices import NeedStatus
    from wangge.party.models import Contact, Need

    page, errors = phone_page
    base = live_server.url
    _t, member, household = _network()

    # 1. Log in on the phone.
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "lidang")
    page.fill("input[name=password]", "wangge-pass-123")
    page.screenshot(path=SHOTS / "member-01-login.png", full_page=True)
    page.click("button[type=submit]")
    expect(page.locator("h1")).not_to_have_text("登录")

    # 2. My fieldwork page lists my contact households, each a link to the visit form.
    page.goto(base + "/fieldwork/")
    row = page.locator("li").filter(has_text="A1-0007")
    expect(row).to_be_visible()
    expect(page.locator("li").filter(has_text="A1-0008")).to_have_count(0)
    page.screenshot(path=SHOTS / "member-02-my-households.png", full_page=True)
    row.get_by_role("link").click()

    # 3. The visit form: the household is chosen, only my contact households are offered.
    household_select = page.locator("select[name=household]")
    expect(household_select).to_have_value(str(household.pk))
    options = household_select.locator("option").all_inner_texts()
    assert any("A1-0007" in o for o in options) and any("A2-0003" in o for o in options)
    assert not any("A1-0008" in o for o in options)
    page.select_option("select[name=kind]", "call_on")
    page.fill("textarea[name=notes]", "老人独居，精神状态良好。")
    page.fill("textarea[name=needs]", NEED)
    page.screenshot(path=SHOTS / "member-03-visit-form.png", full_page=True)
    page.locator("form[method=post] button[type=submit]").last.click()

    # 4. The visit is recorded and the need is on the needs list.
    expect(page.get_by_text(NEED)).to_be_visible()
    page.screenshot(path=SHOTS / "member-04-visit-recorded.png", full_page=True)
    visit = Visit.objects.get()
    assert visit.visitor == member.user and visit.as_contact
    assert Contact.objects.get(household=household).last_contact_at is not None
    need = Need.objects.get(description=NEED)
    assert need.status == NeedStatus.OPEN and need.household == household

    # 5. On my party page the need waits to be claimed: claim it.
    page.goto(base + "/party/me/")
    item = (
        page.locator("li").filter(has_text=NEED).filter(has=page.get_by_role("button", name=CLAIM))
    )
    expect(item).to_have_count(1)
    page.screenshot(path=SHOTS / "member-05-party-page.png", full_page=True)
    item.get_by_role("button", name=CLAIM).click()

    # 6. The need is mine now, and nothing is left to claim for it.
    expect(page.get_by_text(NEED).first).to_be_visible()
    page.screenshot(path=SHOTS / "member-06-claimed.png", full_page=True)
    need.refresh_from_db()
    assert need.status == NeedStatus.CLAIMED and need.claimed_by == member

    # Re-check from a fresh load of the party page (whatever its layout): the need shows as
    # claimed (no claim button next to it) and the household is among mine.
    page.goto(base + "/party/me/")
    expect(page.get_by_text(NEED).first).to_be_visible()
    expect(
        page.locator("li").filter(has_text=NEED).filter(has=page.get_by_role("button", name=CLAIM))
    ).to_have_count(0)
    expect(page.get_by_text("A1-0007").first).to_be_visible()
    page.screenshot(path=SHOTS / "member-07-party-page-after.png", full_page=True)
    assert errors == []
