"""A case around the closed loop on phones: a resident scans the village QR code and reports a
problem, keeps the tracking code and follows it on the public board; the grid worker finds it
in the to-do (and in the notifications), accepts and resolves it; the village grid chief makes
the return visit and closes it; the resident sees the updated board and rates the result."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from wangge.testing.browser import SHOTS, login
from wangge.testing.browser import new_page as phone
from wangge.testing.factories import Territory, user_with_post


def act(page, name, **fields):
    """Open the action's panel on the case page, fill it and send it."""
    form = page.locator(f"form[action$='/{name}/']")
    page.locator(f"details:has(form[action$='/{name}/']) > summary").click()
    for field, value in fields.items():
        control = form.locator(f"[name='{name}-{field}']")
        tag = control.first.evaluate("el => el.tagName")
        if tag == "SELECT":
            control.select_option(value)
        elif control.first.get_attribute("type") == "radio":
            form.locator(f"[name='{name}-{field}'][value='{value}']").check()
        else:
            control.fill(value)
    form.locator("button[type=submit]").click()


def no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, f"page is {width}px wide on a 375px phone"


@pytest.mark.e2e
def test_case_journey(live_server, transactional_db, browser):
    from wangge.accounts.models import DutyHours
    from wangge.cases.models import Case, Notification
    from wangge.cases.services import ensure_default_categories

    ensure_default_categories()  # a flush by an earlier transactional test removes them
    t = Territory()
    worker = user_with_post(t.grid_a1, "grid_worker", username="liwei", full_name="李伟")
    for weekday in range(7):  # on duty whenever the test runs
        DutyHours.objects.create(
            user=worker, weekday=weekday, start=dt.time(0, 0), end=dt.time(23, 59, 59)
        )
    user_with_post(t.village_a, "village_grid_chief", username="zhangjun", full_name="张军")
    base = live_server.url

    # 1. The resident scans the village QR code and reports.
    resident = phone(browser)
    resident.context.grant_permissions([])  # no position: the grid is chosen by hand
    resident.goto(f"{base}/cases/report/{t.village_a.code}/")
    expect(resident.locator("h1")).to_have_text("反映问题")
    resident.select_option("select[name=grid]", t.grid_a1.code)
    resident.fill("input[name=phone]", "13912345678")
    resident.select_option("select[name=category]", "environment")
    resident.fill("textarea[name=description]", "村东头路灯坏了三天，晚上很黑，老人出门不方便。")
    no_horizontal_scroll(resident)
    resident.screenshot(path=SHOTS / "case-01-report.png", full_page=True)
    resident.locator("#public-report button[type=submit]").click()

    expect(resident.locator("h1")).to_have_text("已收到您的反映")
    case = Case.objects.get()
    expect(resident.locator("body")).to_contain_text(case.tracking_code)
    expect(resident.locator(".qr svg")).to_be_visible()
    no_horizontal_scroll(resident)
    resident.screenshot(path=SHOTS / "case-02-receipt.png", full_page=True)

    resident.goto(f"{base}/t/{case.tracking_code}")
    expect(resident.locator("body")).to_contain_text(case.number)
    expect(resident.locator("body")).not_to_contain_text("13912345678")
    expect(resident.locator("body")).not_to_contain_text("李伟")
    resident.screenshot(path=SHOTS / "case-03-board.png", full_page=True)

    # 2. The grid worker: notification, to-do, accept, resolve.
    w = phone(browser)
    login(w, base, "liwei")
    assert Notification.objects.filter(recipient=worker, verb="assigned").count() == 1
    w.goto(f"{base}/cases/notifications/")
    item = w.locator("ul.notifications > li").first
    expect(item).to_contain_text(case.number)
    expect(item.locator(".badge")).to_be_visible()
    w.screenshot(path=SHOTS / "case-04-notifications.png", full_page=True)
    item.locator("button[type=submit]").click()  # htmx: the row is swapped, read
    expect(w.locator("ul.notifications > li").first.locator("button")).to_have_count(0)
    assert Notification.objects.get(recipient=worker).read_at is not None

    w.goto(f"{base}/cases/todo/")
    row = w.locator("ul.list > li", has_text=case.number)
    expect(row).to_be_visible()
    no_horizontal_scroll(w)
    w.screenshot(path=SHOTS / "case-05-todo.png", full_page=True)
    row.locator("a").click()
    expect(w.locator("h1")).to_contain_text(case.number)
    expect(w.locator("#case-map .leaflet-interactive").first).to_be_visible()
    w.screenshot(path=SHOTS / "case-06-detail.png", full_page=True)
    act(w, "accept")
    expect(w.locator(".messages")).to_be_visible()
    act(w, "resolve", resolution="已联系电工更换灯泡，路灯恢复照明。")
    expect(w.locator(".messages")).to_be_visible()
    case.refresh_from_db()
    assert case.state == "resolved"
    no_horizontal_scroll(w)
    w.screenshot(path=SHOTS / "case-07-resolved.png", full_page=True)

    # 3. The village grid chief calls back and closes the loop.
    chief = phone(browser)
    login(chief, base, "zhangjun")
    chief.goto(f"{base}/cases/todo/")
    chief.locator("ul.list > li", has_text=case.number).locator("a").click()
    act(chief, "return_visit", satisfaction="satisfied", note="电话回访，群众满意。")
    expect(chief.locator(".messages")).to_be_visible()
    act(chief, "close")
    expect(chief.locator(".messages")).to_be_visible()
    case.refresh_from_db()
    assert case.state == "closed"
    chief.screenshot(path=SHOTS / "case-08-closed.png", full_page=True)

    # The chief's KPI page: this month's figures and the grid ranking with its chart.
    chief.goto(f"{base}/cases/kpis/")
    expect(chief.locator("[data-kpi=received] .value")).to_have_text("1")
    expect(chief.locator("[data-kpi=satisfaction_rate] .value")).to_have_text("100.0%")
    expect(chief.locator("#kpi-ranking tbody tr")).to_have_count(2)
    expect(chief.locator("#kpi-chart svg")).to_be_visible()
    no_horizontal_scroll(chief)
    chief.screenshot(path=SHOTS / "case-09-kpis.png", full_page=True)

    # 4. The resident sees the whole story and rates the result.
    resident.goto(f"{base}/t/{case.tracking_code}")
    board = resident.locator("ol.timeline")
    expect(board).to_contain_text("路灯恢复照明")
    expect(board).to_contain_text("回访")
    expect(resident.locator("body")).not_to_contain_text("李伟")
    resident.locator("input[name=satisfaction][value=satisfied]").check()
    resident.locator("form button[type=submit]", has_text=re.compile("评价|提交")).click()
    expect(resident.locator("body")).to_contain_text("谢谢")
    no_horizontal_scroll(resident)
    resident.screenshot(path=SHOTS / "case-10-rated.png", full_page=True)
    case.refresh_from_db()
    assert case.public_satisfaction == "satisfied"

    for page in (resident, w, chief):
        assert page.js_errors == []
