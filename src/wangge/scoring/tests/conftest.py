"""Scoring tests reuse the case loop's world (territory, workers, chiefs, controlled clock)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from wangge.cases.tests.conftest import (  # noqa: F401 - fixtures
    IN_A1,
    MONDAY_10,
    World,
    _fast_passwords,
    clock,
    report,
    world,
)
from wangge.scoring.rules import ensure_default_rules


@pytest.fixture(autouse=True)
def _rules(db):
    ensure_default_rules()


@pytest.fixture
def loop(world, clock, report):  # noqa: F811
    """Run a case around the loop: reported in grid A1 → accepted, resolved by the worker of
    A1 → return visit by the village chief → closed. Returns a function taking the
    satisfaction and whether to close."""
    from wangge.cases import services as cs

    def run(satisfaction="satisfied", close=True, resolve_after_hours=1):
        case = report()
        assert case.handler == world.worker_a1
        cs.case_accept(case=case, actor=world.worker_a1)
        clock.advance(hours=resolve_after_hours)
        cs.case_resolve(case=case, actor=world.worker_a1, resolution="修好了")
        clock.advance(hours=1)
        cs.case_return_visit(case=case, actor=world.chief_a, satisfaction=satisfaction)
        if close and satisfaction != "unsatisfied":
            clock.advance(hours=1)
            cs.case_close(case=case, actor=world.chief_a)
        case.refresh_from_db()
        return case

    return run


def patrol(pk, worker, area, day=dt.date(2025, 9, 29)):
    """A stand-in for a finished fieldwork patrol."""
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    return SimpleNamespace(pk=pk, worker_id=worker.pk, area_path=area.path, ended_at=at)
