import pytest

# Browser fixtures (Playwright + Chromium) for the journeys in tests/e2e and the apps.
pytest_plugins = ["wangge.testing.browser"]

_DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def pytest_collection_modifyitems(items):
    """A test that uses the database may use every database of the installation: on SQLite
    the receipts of acknowledged reports are in a database of their own (wangge.core.routers),
    and any report may write one. (A test that names its databases keeps them.)"""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not _DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if "databases" in kwargs:
            continue
        args = marker.args if marker is not None else ()
        item.add_marker(pytest.mark.django_db(*args, databases="__all__", **kwargs), append=False)


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
