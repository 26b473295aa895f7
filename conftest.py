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
def _reset_caches(settings):
    from django.core.cache import cache

    from wangge.core import generations

    cache.clear()
    # Copies of reference data built from another test's (rolled back) rows.
    generations.forget()
    yield
