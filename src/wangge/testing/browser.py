"""Browser tests: Playwright driving Debian's Chromium, at phone size by default.

Loaded as a pytest plugin by the root conftest. A test asks for the `browser` fixture and opens
pages with `new_page(browser)` (phone, 375×812, Chinese) or `new_page(browser, phone=False)`
(desktop); `login(page, base, username)` signs in through the real login form; screenshots go
to SHOTS (test-results/ at the repository root)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import expect, sync_playwright

SHOTS = Path(__file__).resolve().parents[3] / "test-results"
CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN", "accept_downloads": True}
TEST_PASSWORD = "wangge-pass-123"  # the factories' password


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in the test's thread; the ORM calls the test
    # makes meanwhile are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SHOTS.mkdir(exist_ok=True)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield b
            b.close()
            # While the loop runs, Django keeps the database connections of the ORM calls
            # made meanwhile in the loop's context, not the thread's: close them here, or
            # they outlive the test (PostgreSQL then refuses to drop the test database).
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def new_page(browser, *, phone: bool = True, timeout: int = 10_000):
    """A page in a fresh context (its own cookies). Script errors collect in page.js_errors."""
    context = browser.new_context(**(PHONE if phone else DESKTOP))
    page = context.new_page()
    page.set_default_timeout(timeout)
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    return page


def login(page, base: str, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).not_to_have_text("登录")


def page_width(page) -> int:
    """The document's scroll width: more than the viewport means sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth")
