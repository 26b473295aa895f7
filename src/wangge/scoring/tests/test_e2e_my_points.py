"""My points 我的积分 at phone size: a grid worker logs in, opens Points from the menu, sees
this month's balance and each entry with its reason and a link to its source (the case)."""

import pytest
from playwright.sync_api import expect

from wangge.testing.browser import SHOTS, login, new_page, page_width


@pytest.mark.e2e
def test_worker_reads_their_points_on_the_phone(live_server, transactional_db, settings, browser):
    from django.utils import timezone

    from wangge.core.events import emit
    from wangge.scoring import services
    from wangge.scoring.models import PointRule
    from wangge.scoring.rules import ensure_default_rules
    from wangge.testing.factories import Territory, user_with_post

    from .conftest import patrol

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ensure_default_rules()  # transactional tests flush the data migration's rows
    t = Territory()
    worker = user_with_post(t.grid_a1, "grid_worker", username="wangwu", full_name="王五")
    town = user_with_post(t.town, "town_admin")
    emit(
        "fieldwork.patrol.finished",
        patrol=patrol(1, worker, t.grid_a1, timezone.localdate()),
        at=None,
    )
    services.entry_create_manual(
        actor=town,
        rule=PointRule.objects.get(code="commendation"),
        subject_id=worker.pk,
        reason="汛期值守表现突出",
    )
    page = new_page(browser)
    login(page, live_server.url, "wangwu")
    page.goto(live_server.url + "/points/")
    expect(page.locator("h1")).to_have_text("我的积分")
    expect(page.locator("[data-period=month] .value")).to_have_text("+5.5")
    entries = page.locator("#my-entries li")
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("汛期值守表现突出")
    expect(page.locator("#my-entries")).to_contain_text("完成巡查")
    # Fits the phone: no horizontal scrolling.
    assert page_width(page) <= 375
    page.screenshot(path=SHOTS / "points-01-my-points.png", full_page=True)
    assert page.js_errors == []
