"""A report acknowledged before it is routed, followed on a phone: the grid worker's phone
sends it with `Prefer: respond-async`, the resident opens the tracking code's board at once
(received, being assigned), the intake worker takes it in, and the board then shows the case
number and the timeline."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from wangge.cases.services import ensure_default_categories, intake_process
from wangge.testing.browser import SHOTS
from wangge.testing.browser import new_page as phone
from wangge.testing.factories import Territory, user_with_post

pytestmark = pytest.mark.e2e


def test_an_acknowledged_report_on_the_board(live_server, transactional_db, browser):
    from rest_framework.authtoken.models import Token

    ensure_default_categories()  # a flush by an earlier transactional test removes them
    t = Territory()
    worker = user_with_post(t.grid_a1, "grid_worker")
    token = Token.objects.create(user=worker)
    request = urllib.request.Request(
        f"{live_server.url}/api/cases/",
        data=json.dumps(
            {
                "category": "environment",
                "description": "路边垃圾堆了三天",
                "lat": 32.905,
                "lng": 115.805,
            }
        ).encode(),
        headers={
            "Authorization": f"Token {token.key}",
            "Content-Type": "application/json",
            "Idempotency-Key": "phone-1",
            "Prefer": "respond-async",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        receipt = json.loads(response.read())

    page = phone(browser)
    page.goto(live_server.url + receipt["progress_url"])
    expect(page.locator("main")).to_contain_text("您的反映已受理")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SHOTS / "receipt-01-received.png"), full_page=True)

    assert intake_process() == 1
    page.goto(live_server.url + receipt["progress_url"])
    expect(page.locator("main")).to_contain_text("事件编号")
    expect(page.locator(".timeline")).to_contain_text("上报")
    page.screenshot(path=str(SHOTS / "receipt-02-case.png"), full_page=True)
    assert page.js_errors == []
