import datetime as dt

import pytest
from django.utils import timezone

from wangge.disclosure.models import DisclosureItem
from wangge.testing.factories import user_with_post


@pytest.fixture
def editor(territory):
    """A disclosure editor of village A (程集村)."""
    return user_with_post(territory.village_a, "disclosure_editor", full_name="编辑甲")


@pytest.fixture
def editor_b(territory):
    return user_with_post(territory.village_b, "disclosure_editor", full_name="编辑乙")


@pytest.fixture
def reviewer(territory):
    """The supervision committee stands in as a town supervisor."""
    return user_with_post(territory.town, "supervisor", full_name="监督员")


@pytest.fixture
def town_admin(territory):
    return user_with_post(territory.town, "town_admin", full_name="镇网格办")


@pytest.fixture
def monthly_item(db):
    return DisclosureItem.objects.get(code="income-expense")


@pytest.fixture
def quarterly_item(db):
    return DisclosureItem.objects.get(code="subsidy-list")


@pytest.fixture
def yesterday():
    return timezone.localdate() - dt.timedelta(days=1)
