"""A newcomer's first day: a grid worker logs in on a phone, sees the own grid's households,
searches and opens one, and finds that another grid's household is simply not there."""

import pytest
from playwright.sync_api import expect

from wangge.testing.browser import SHOTS, new_page
from wangge.testing.factories import (
    Territory,
    make_household,
    make_resident,
    user_with_post,
)


@pytest.fixture
def browser_page(browser):
    return new_page(browser)


@pytest.mark.e2e
def test_newcomer_journey(live_server, transactional_db, browser_page):
    from wangge.people.models import Tag

    t = Territory()
    worker = user_with_post(t.grid_a1, "grid_worker", username="liwei", full_name="李伟")
    hardship, _ = Tag.objects.get_or_create(
        code="hardship", defaults={"name": "困难户", "target": "household", "is_key": True}
    )
    mine = make_household(
        t.grid_a1,
        number="A1-0007",
        address="程集村三组7号",
        tags=[hardship],
        lat=32.905,
        lng=115.805,
    )
    make_resident(mine, name="陈秀英", relation="head", phone="13912345678")
    make_resident(mine, name="陈小明", relation="grandchild")
    for i in range(1, 5):
        h = make_household(t.grid_a1, number=f"A1-00{i + 10}", address=f"程集村一组{i}号")
        make_resident(h, name=f"王{'一二三四'[i - 1]}", relation="head")
    other = make_household(t.grid_b1, number="B1-0001", address="王庄村一组1号")
    make_resident(other, name="赵外人", relation="head")
    assert worker.pk

    page = browser_page
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/accounts/login/?next=/")
    expect(page.locator("h1")).to_have_text("登录")
    page.screenshot(path=SHOTS / "newcomer-01-login.png", full_page=True)

    page.fill("input[name=username]", "liwei")
    page.fill("input[name=password]", "wangge-pass-123")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("李伟")
    expect(page.locator("body")).to_contain_text("第一网格")
    expect(page.locator("body")).to_contain_text("A1-0007")  # a key household
    page.screenshot(path=SHOTS / "newcomer-02-home.png", full_page=True)

    # The menu is collapsed on a phone and opens with the toggle.
    nav_link = page.locator("#main-nav a", has_text="住户")
    expect(nav_link).to_be_hidden()
    page.click("[data-nav-toggle]")
    expect(nav_link).to_be_visible()
    page.screenshot(path=SHOTS / "newcomer-03-menu.png")
    nav_link.click()

    expect(page.locator("h1")).to_have_text("住户")
    rows = page.locator("ul.list > li")
    expect(rows).to_have_count(5)
    expect(page.locator("body")).not_to_contain_text("B1-0001")
    page.screenshot(path=SHOTS / "newcomer-04-households.png", full_page=True)

    page.fill("input[name=q]", "三组")
    page.locator("form.filters button[type=submit]").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("陈秀英")
    page.screenshot(path=SHOTS / "newcomer-05-search.png", full_page=True)

    rows.first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("A1-0007")
    expect(page.locator("body")).to_contain_text("陈小明")
    expect(page.locator("body")).to_contain_text("困难户")
    expect(page.locator("#household-map .leaflet-interactive").first).to_be_visible()
    page.screenshot(path=SHOTS / "newcomer-06-household.png", full_page=True)

    # Open a member and reveal the ID number (htmx swap, logged).
    page.locator("ul.list a", has_text="陈秀英").click()
    expect(page.locator("#id-number")).to_contain_text("*")
    page.locator("#id-number button").click()
    expect(page.locator("[data-revealed]")).to_be_visible()
    expect(page.locator("#id-number")).not_to_contain_text("*")
    page.screenshot(path=SHOTS / "newcomer-07-resident.png", full_page=True)

    # Another grid's household by URL: not found, the same as one that does not exist.
    response = page.goto(f"{live_server.url}/people/households/{other.pk}/")
    assert response.status == 404
    expect(page.locator(".error-page")).to_contain_text("404")
    expect(page.locator("body")).not_to_contain_text("赵外人")
    page.screenshot(path=SHOTS / "newcomer-08-not-found.png", full_page=True)
    assert page.js_errors == []
