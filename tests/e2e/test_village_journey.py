"""一村一码 at phone size: a villager working far away scans the village code (opens its URL),
reads a published disclosure, asks a question, and later sees it answered in public. A draft is
never shown, and the questioner's phone number never appears in full."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangge.testing.browser import SHOTS, new_page
from wangge.testing.factories import Territory, user_with_post


@pytest.fixture
def phone_page(browser):
    page = new_page(browser)
    return page, page.js_errors


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

    road = _one_matter_published(services, t.village_a, editor)
    # The page also lists the issue ledger and the grid workers: make one of each.
    user_with_post(t.grid_a1, "grid_worker", full_name="王网格", phone="13800001111")
    services.issue_create(
        actor=editor,
        village=t.village_a,
        kind="finance",
        question="村集体鱼塘承包费收了多少？什么时候在公开栏公布？",
        raised_on=timezone.localdate() - dt.timedelta(days=5),
        responsible="村报账员李会计",
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )
    services.decision_create(
        actor=editor,
        village=t.village_a,
        title="集体鱼塘发包（未表决）",
        held_on=timezone.localdate() - dt.timedelta(days=2),
    )

    # Scanning the poster's QR code opens the village page.
    page.goto(f"{live_server.url}/v/{t.village_a.code}/")
    expect(page.locator("h1")).to_contain_text("程集村")
    assert "十月草稿" not in page.content()
    assert "集体鱼塘发包" not in page.content()  # a decision not yet published
    expect(page.locator("body")).to_contain_text("一事一议")
    expect(page.locator("body")).to_contain_text("李会计")
    expect(page.get_by_role("link", name="13800001111")).to_be_visible()
    page.screenshot(path=str(SHOTS / "village-01-page.png"))
    page.screenshot(path=str(SHOTS / "village-01-page-full.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.get_by_role("link", name="收支明细").first.click()
    expect(page.locator("body")).to_contain_text("道路维修")
    expect(page.locator("tfoot")).to_contain_text("18200.00")  # the money column's total
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

    # 一事一议: the road project's plan, the households' vote and the stages, on the phone.
    page.goto(f"{live_server.url}/v/{t.village_a.code}/")
    page.get_by_role("link", name=road.title).click()
    body = page.locator("body")
    expect(body).to_contain_text("一事一议")
    expect(body).to_contain_text("6000.00")  # raised: 200 households × 30 yuan
    expect(body).to_contain_text("乡镇")  # the town's approval is one of the stages
    page.screenshot(path=str(SHOTS / "village-05-one-matter.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not errors, errors


def _one_matter_published(services, village, editor):
    """A 一事一议 road project that went the whole way to the published plan."""
    day = timezone.localdate() - dt.timedelta(days=30)
    d = services.one_matter_create(
        actor=editor,
        village=village,
        title="三组至五组道路硬化（一事一议）",
        held_on=day,
        project_kind="road",
        summary="硬化村道800米，宽4.5米。",
        budget="200000",
        other_funding="140000",
        basis="household",
        contribution="30",
        contributors=200,
        labour_days=2,
        labourers=180,
        exemptions="特困供养户、现役军人家庭免筹",
        voting_body="households",
    )
    d = services.decision_advance(
        actor=editor, decision=d, stage="announced", held_on=day + dt.timedelta(days=1)
    )
    d = services.decision_vote(
        actor=editor,
        decision=d,
        held_on=day + dt.timedelta(days=9),
        representatives_total=200,
        attendance=160,
        votes_for=140,
        votes_against=12,
        votes_abstain=8,
    )
    d = services.decision_advance(
        actor=editor, decision=d, stage="town_approved", held_on=day + dt.timedelta(days=12)
    )
    return services.decision_publish_resolution(
        actor=editor,
        decision=d,
        resolution="每户每年筹资30元，每个劳动力投劳2天，困难户免筹。",
        held_on=day + dt.timedelta(days=13),
    )
