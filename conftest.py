import pytest


@pytest.fixture
def territory(db):
    from wangge.testing.factories import Territory

    return Territory()


@pytest.fixture(autouse=True)
def _reset_caches(settings):
    from django.core.cache import cache

    cache.clear()
    yield
