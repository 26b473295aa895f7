"""A bulletin 通报 from draft to archive: the town grid office (town admin) logs in on a desktop,
generates the bi-weekly bulletin of the town from the data (case-loop KPIs, village ranking,
praise and criticism, open problems of the supervision problem list), reviews and publishes
it, opens the printable A4 page (and prints it to PDF) and downloads the xlsx. A village grid
chief then finds it in the bulletin archive on the phone; publishing twice is refused."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from wangge.testing.browser import SHOTS, login, new_page
from wangge.testing.factories import Territory, user_with_post


def seed(t):
    """What the bulletin draws on: a case in the loop and an open problem of an inspection."""
    from django.utils import timezone

    from wangge.cases.choices import Source
    from wangge.cases.services import case_report, ensure_default_categories
    from wangge.supervision import services

    ensure_default_categories()  # a flush by an earlier transactional test removes them
    officer = user_with_post(t.town, "town_admin", username="wangban", full_name="王办")
    supervisor = user_with_post(t.town, "supervisor", username="dudao", full_name="督导员")
    chief = user_with_post(t.village_a, "village_grid_chief", username="zhangjun", full_name="张军")
    user_with_post(t.grid_a1, "grid_worker", username="liwei", full_name="李伟")
    case_report(
        actor=officer,
        source=Source.STAFF,
        description="村东头路灯坏了三天，晚上很黑。",
        area=t.grid_a1,
    )
    today = timezone.localdate()
    inspection = services.inspection_record(
        actor=supervisor,
        area=t.village_a,
        inspected_on=today,
        checks=["reports_heard", "ledgers_checked", "people_at_post"],
        staff_expected=5,
        staff_present=4,
        notes="听取汇报，查阅走访台账。",
    )
    services.problem_create(
        actor=supervisor,
        inspection=inspection,
        description="走访台账记录不全，第二网格缺少本月记录。",
        responsible=chief,
        deadline=today + dt.timedelta(days=7),
    )
    return officer, chief


@pytest.mark.e2e
def test_town_officer_generates_and_publishes_a_bulletin(live_server, transactional_db, browser):
    from django.utils import timezone

    from wangge.supervision.models import Bulletin

    t = Territory()
    seed(t)
    base = live_server.url
    today = timezone.localdate()

    page = new_page(browser)
    login(page, base, "wangban")
    page.goto(base + "/supervision/")
    page.screenshot(path=SHOTS / "bulletin-01-supervision.png", full_page=True)
    page.locator("a[href$='/supervision/bulletins/new/']").first.click()
    page.select_option("select[name=area]", str(t.town.pk))
    page.select_option("select[name=kind]", "biweekly")
    page.fill("input[name=day]", today.isoformat())
    page.screenshot(path=SHOTS / "bulletin-02-generate.png", full_page=True)
    page.locator("main form button[type=submit]").click()

    expect(page.locator("[data-state]")).to_have_attribute("data-state", "draft")
    body = page.locator("article")
    expect(body).to_contain_text("走访台账记录不全")  # the open problem
    expect(body).to_contain_text("程集村")  # the villages of the case-loop table
    bulletin = Bulletin.objects.get()
    assert bulletin.content["kpis"]["raw"]["received"] == 1  # the case reported above
    page.screenshot(path=SHOTS / "bulletin-03-draft.png", full_page=True)

    page.locator("form[action$='/review/'] button").click()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "reviewed")
    page.locator("form[action$='/publish/'] button").click()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "published")
    expect(page.locator(".messages")).to_be_visible()
    # Once published: no more edit, review or publish buttons.
    expect(page.locator("form[action$='/publish/']")).to_have_count(0)
    expect(page.locator("a[href$='/edit/']")).to_have_count(0)
    page.screenshot(path=SHOTS / "bulletin-04-published.png", full_page=True)
    bulletin.refresh_from_db()
    assert bulletin.state == "published"

    # Publishing twice (an old tab, a double click): a clear error, nothing changed.
    published_at = bulletin.published_at
    csrf = page.context.cookies()
    token = next(c["value"] for c in csrf if c["name"] == "csrftoken")
    response = page.request.post(
        f"{base}/supervision/bulletins/{bulletin.pk}/publish/",
        headers={"X-CSRFToken": token, "Referer": base + "/"},
    )
    assert response.ok  # redirected back to the bulletin with the error message
    assert "已于" in response.text() or "already" in response.text()
    bulletin.refresh_from_db()
    assert bulletin.published_at == published_at

    # The printable A4 page, with Chinese fonts, printed to PDF.
    page.goto(f"{base}/supervision/bulletins/{bulletin.pk}/print/")
    expect(page.locator("h1")).to_contain_text(bulletin.title)
    font = page.evaluate("getComputedStyle(document.documentElement).fontFamily")
    assert "Noto Sans CJK SC" in font
    page.screenshot(path=SHOTS / "bulletin-05-print.png", full_page=True)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    (SHOTS / "bulletin-05-print.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000

    # The xlsx download.
    page.emulate_media(media="screen")
    page.goto(f"{base}/supervision/bulletins/{bulletin.pk}/")
    with page.expect_download() as info:
        page.locator("a[href$='/xlsx/']").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    summary = list(wb.worksheets[0].iter_rows(values_only=True))
    assert summary[1][1] == bulletin.title
    problems = list(wb.worksheets[-1].iter_rows(values_only=True))
    assert any("走访台账记录不全" in str(row[1]) for row in problems[1:])
    assert not page.js_errors, page.js_errors

    # The village grid chief reads it in the archive on the phone.
    phone = new_page(browser, phone=True)
    login(phone, base, "zhangjun")
    phone.goto(base + "/supervision/bulletins/")
    expect(phone.locator("ul.list")).to_contain_text(bulletin.title)
    phone.locator("ul.list a").first.click()
    expect(phone.locator("article")).to_contain_text("走访台账记录不全")
    expect(phone.locator("form[action$='/publish/']")).to_have_count(0)
    width = phone.evaluate("document.documentElement.scrollWidth")
    phone.screenshot(path=SHOTS / "bulletin-06-archive-phone.png", full_page=True)
    assert width <= 375 + 1, f"page is {width}px wide on a 375px phone"
    assert not phone.js_errors, phone.js_errors


PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@pytest.mark.e2e
def test_supervisor_records_an_inspection_on_the_phone(live_server, transactional_db, browser):
    """The inspection form on the phone: where, what was checked, who was at their post, a
    photo; then a problem for the village grid chief, who reports it rectified."""
    from wangge.supervision.models import Inspection, Problem

    t = Territory()
    seed(t)
    base = live_server.url
    page = new_page(browser, phone=True)
    login(page, base, "dudao")
    page.goto(base + "/supervision/inspections/new/")
    page.select_option("select[name=area]", str(t.village_b.pk))
    for value in ("reports_heard", "ledgers_checked", "people_at_post"):
        page.check(f"input[name=checks][value={value}]")
    page.fill("input[name=staff_expected]", "6")
    page.fill("input[name=staff_present]", "5")
    page.fill("textarea[name=notes]", "听取王庄村汇报，一名网格员请假未在岗。")
    page.set_input_files(
        "input[name=photos]",
        files=[{"name": "site.png", "mimeType": "image/png", "buffer": PNG_1PX}],
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, f"page is {width}px wide on a 375px phone"
    page.screenshot(path=SHOTS / "inspection-01-form-phone.png", full_page=True)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("王庄村")
    inspection = Inspection.objects.get(area=t.village_b)
    assert inspection.staff_present == 5 and inspection.photos.count() == 1

    chief_b = user_with_post(t.village_b, "village_grid_chief", username="wangqiang")
    page.reload()
    page.fill("textarea[name=description]", "值班表未上墙公示。")
    page.select_option("select[name=responsible]", str(chief_b.pk))
    page.fill("input[name=deadline]", (timezone.localdate() + dt.timedelta(days=5)).isoformat())
    page.locator("main form button[type=submit]").click()
    expect(page.locator("ul.list")).to_contain_text("值班表未上墙公示")
    page.screenshot(path=SHOTS / "inspection-02-problem-phone.png", full_page=True)
    problem = Problem.objects.get(area=t.village_b)

    chief = new_page(browser, phone=True)
    login(chief, base, "wangqiang")
    chief.goto(base + "/supervision/")
    chief.locator("ul.list a", has_text="值班表").click()
    chief.fill("textarea[name=rectification]", "值班表已上墙，并在一村一码公示。")
    chief.locator("form[action$='/rectify/'] button").click()
    expect(chief.locator(".sv-timeline")).to_contain_text("值班表已上墙")
    chief.screenshot(path=SHOTS / "inspection-03-rectified-phone.png", full_page=True)
    problem.refresh_from_db()
    assert problem.state == "rectified"
    assert not page.js_errors and not chief.js_errors
