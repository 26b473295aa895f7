import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from wangge.cases import services
from wangge.cases.choices import Level, WarningLevel
from wangge.cases.models import Case
from wangge.cases.tasks import sweep, sweep_deadlines

pytestmark = pytest.mark.django_db


def test_yellow_then_red_and_escalate_once(world, report, clock):
    case = report()  # environment, normal: 35 working hours from Monday 29 Sep 10:00
    services.case_accept(case=case, actor=world.worker_a1)
    case.refresh_from_db()
    assert sweep(now=case.warn_at - dt.timedelta(minutes=1)) == {"yellow": 0, "red": 0}
    assert sweep(now=case.warn_at) == {"yellow": 1, "red": 0}
    assert sweep(now=case.warn_at) == {"yellow": 0, "red": 0}
    case.refresh_from_db()
    assert case.warning == WarningLevel.YELLOW

    overdue = case.resolve_by + dt.timedelta(minutes=1)
    assert sweep(now=overdue) == {"yellow": 0, "red": 1}
    assert sweep(now=overdue) == {"yellow": 0, "red": 0}  # twice: nothing more
    assert sweep(now=overdue + dt.timedelta(days=3)) == {"yellow": 0, "red": 0}
    case.refresh_from_db()
    assert case.warning == WarningLevel.RED
    assert case.level == Level.VILLAGE and case.handler == world.chief_a
    assert case.actions.filter(verb="auto_escalate").count() == 1
    assert case.actions.filter(verb="warn").count() == 1


def test_new_overdue_period_after_reopen(world, report, clock):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    case.refresh_from_db()
    sweep(now=case.resolve_by + dt.timedelta(minutes=1))
    case.refresh_from_db()
    clock.now = case.resolve_by + dt.timedelta(hours=1)
    services.case_resolve(case=case, actor=world.chief_a, resolution="处理完毕")
    services.case_return_visit(case=case, actor=world.town_admin, satisfaction="unsatisfied")
    case.refresh_from_db()
    assert case.warning == WarningLevel.NORMAL
    assert sweep(now=case.resolve_by + dt.timedelta(minutes=1))["red"] == 1
    case.refresh_from_db()
    assert case.level == Level.TOWN
    assert case.actions.filter(verb="auto_escalate").count() == 2


def test_county_level_overdue_is_marked_once(world, report, clock):
    case = report()
    for actor in (world.worker_a1, world.chief_a, world.town_chief):
        services.case_escalate(case=case, actor=actor, reason="上报")
    case.refresh_from_db()
    now = case.resolve_by + dt.timedelta(minutes=1)
    assert sweep(now=now)["red"] == 1
    assert sweep(now=now)["red"] == 0
    case.refresh_from_db()
    assert case.level == Level.COUNTY and case.warning == WarningLevel.RED


def test_closed_cases_are_left_alone(world, report):
    case = report()
    services.case_reject(case=case, actor=world.chief_a, reason="重复")
    case.refresh_from_db()
    assert sweep(now=case.resolve_by + dt.timedelta(days=1)) == {"yellow": 0, "red": 0}


def test_task_and_command(world, report, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    report(at=timezone.now())
    result = sweep_deadlines.enqueue()
    assert result.return_value == {"yellow": 0, "red": 0}
    call_command("case_sweep")
    call_command("case_sweep", "--now")
    assert Case.objects.get().warning == WarningLevel.NORMAL
