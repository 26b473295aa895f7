"""一村一码 at phone size: a villager working far away scans the village code (opens its URL),
reads a published disclosure, asks a question, and later sees it answered in public. A draft is
never shown, and the questioner's phone number never appears in full."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls below are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from wangge.testing.factories import Territory, user_with_post  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def phone_page():
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 375, "height": 812},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
        context.close()
        browser.close()


@pytest.mark.e2e
def test_villager_reads_asks_and_sees_the_answer(live_server, transactional_db, phone_page):
    from wangge.disclosure import services
    from wangge.disclosure.models import DisclosureItem, Feedback

    page, errors = phone_page
    t = Territory()
    editor = user_with_post(t.village_a, "disclosure_editor", full_name="编辑甲")
    reviewer = user_with_post(t.village_a, "supervisor", full_name="监委会主任")
    # transactional tests flush the data migration's default items: make the one we use.
    item, _ = DisclosureItem.objects.get_or_create(
        code="income-expense",
        defaults={"name": "收支明细", "category": "finance", "period_kind": "monthly"},
    )
    published = services.disclosure_create(
        actor=editor,
        village=t.village_a,
        item=item,
        period="2026-09",
        body="九月份村集体收支明细，请村民监督。",
        table={"columns": ["项目", "金额（元）"], "rows": [["办公费", 3200], ["道路维修", 15000]]},
    )
    services.disclosure_submit(actor=editor, disclosure=published)
    services.disclosure_publish(actor=reviewer, disclosure=published)
    services.disclosure_create(
        actor=editor,
        village=t.village_a,
        item=item,
        period="2026-10",
        body="十月草稿，不应公开",
    )

    # Scanning the poster's QR code opens the village page.
    page.goto(f"{live_server.url}/v/{t.village_a.code}/")
    expect(page.locator("h1")).to_contain_text("程集村")
    assert "十月草稿" not in page.content()
    page.screenshot(path=str(SHOTS / "village-01-page.png"))

    page.get_by_role("link", name="收支明细").first.click()
    expect(page.locator("body")).to_contain_text("道路维修")
    page.screenshot(path=str(SHOTS / "village-02-disclosure.png"))

    page.get_by_text("我要询问").click()  # the form folds open, as a villager would tap it
    question_form = page.locator("form").filter(
        has=page.locator("input[name=kind][value=question]")
    )
    question_form.locator("textarea[name=body]").fill("道路维修花了一万五，修的是哪一段？")
    question_form.locator("input[name=phone]").fill("13912345678")
    question_form.locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("已收到")
    page.screenshot(path=str(SHOTS / "village-03-asked.png"))

    question = Feedback.objects.get(kind="question")
    assert question.disclosure_id == published.pk
    services.feedback_answer(
        actor=editor, feedback=question, answer="修的是三组到五组的村道，共800米。"
    )

    # Later, the villager looks again and sees the public answer, with the phone masked.
    page.reload()
    body = page.locator("body")
    expect(body).to_contain_text("修的是哪一段")
    expect(body).to_contain_text("三组到五组")
    assert "13912345678" not in page.content()
    page.screenshot(path=str(SHOTS / "village-04-answered.png"), full_page=True)
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not errors, errors
