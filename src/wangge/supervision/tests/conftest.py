import datetime as dt

import pytest

from wangge.testing.factories import user_with_post


@pytest.fixture
def supervisor(territory):
    """The town's supervisor 督导员."""
    return user_with_post(territory.town, "supervisor", full_name="督导员")


@pytest.fixture
def town_admin(territory):
    return user_with_post(territory.town, "town_admin", full_name="镇网格办")


@pytest.fixture
def chief_a(territory):
    """The grid chief of village A: responsible for its problems."""
    return user_with_post(territory.village_a, "village_grid_chief", full_name="村网格长甲")


@pytest.fixture
def chief_b(territory):
    return user_with_post(territory.village_b, "village_grid_chief", full_name="村网格长乙")


@pytest.fixture
def supervisor_b(territory):
    """A village supervisor of village B only."""
    return user_with_post(territory.village_b, "supervisor", full_name="乙村监委")


@pytest.fixture
def today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def inspection(territory, supervisor, today):
    from wangge.supervision import services

    return services.inspection_record(
        actor=supervisor,
        area=territory.village_a,
        inspected_on=today,
        checks=["reports_heard", "ledgers_checked", "people_at_post"],
        staff_expected=6,
        staff_present=5,
        notes="听取村两委汇报，查阅走访台账。",
    )


@pytest.fixture
def problem(inspection, supervisor, chief_a, today):
    from wangge.supervision import services

    return services.problem_create(
        actor=supervisor,
        inspection=inspection,
        description="走访台账记录不全，第二网格缺少10月份记录。",
        responsible=chief_a,
        deadline=today + dt.timedelta(days=7),
    )
