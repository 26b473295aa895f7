"""My points 我的积分 at phone size: a grid worker logs in, opens Points from the menu, sees
this month's balance and each entry with its reason and a link to its source (the case)."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls below are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import expect, sync_playwright  # noqa: E402

SHOTS = Path(__file__).resolve().parents[4] / "test-results"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@pytest.mark.e2e
def test_worker_reads_their_points_on_the_phone(live_server, transactional_db, settings):
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
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 375, "height": 812},
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_server.url + "/accounts/login/")
        page.fill("input[name=username]", "wangwu")
        page.fill("input[name=password]", "wangge-pass-123")
        page.click("button[type=submit]")
        page.goto(live_server.url + "/points/")
        expect(page.locator("h1")).to_have_text("我的积分")
        expect(page.locator("[data-period=month] .value")).to_have_text("+5.5")
        entries = page.locator("#my-entries li")
        expect(entries).to_have_count(2)
        expect(entries.first).to_contain_text("汛期值守表现突出")
        expect(page.locator("#my-entries")).to_contain_text("完成巡查")
        # Fits the phone: no horizontal scrolling.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375
        page.screenshot(path=SHOTS / "points-01-my-points.png", full_page=True)
        assert errors == []
        context.close()
        browser.close()
