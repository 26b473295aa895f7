import pytest

# Browser fixtures (Playwright + Chromium) for the journeys in tests/e2e and the apps.
pytest_plugins = ["wangge.testing.browser"]


@pytest.fixture
def territory(db):
    from wangge.testing.factories import Territory

    return Territory()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The real hasher costs ~0.3 s per user; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _reset_caches(settings, monkeypatch):
    from django.core.cache import cache

    from wangge.core import generations

    cache.clear()
    # Copies of reference data built from another test's (rolled back) rows.
    generations.forget()
    # A test's own changes drop its copies at once (generations.changed); the look at the
    # database once a second for other processes' changes would add a query wherever a slow
    # machine spends more than a second between the two counts of a query-count test. Tests
    # of that look set their own interval.
    monkeypatch.setattr(generations, "CHECK_SECONDS", 3600.0)
    yield
