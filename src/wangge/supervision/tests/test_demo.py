"""The supervision demo steps on the tiny preset: problems in every state with consistent
timelines, overdue ones escalated once, bulletins generated from the data."""

from __future__ import annotations

import datetime as dt

import pytest

from wangge import demo
from wangge.supervision.choices import BulletinState, ProblemState, Verb
from wangge.supervision.models import Bulletin, Inspection, Problem, SupervisionItem
from wangge.supervision.tasks import sweep

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def tiny(db):
    return demo.build(preset="tiny", seed=7, today=TODAY)


def test_supervision_demo(tiny):
    assert SupervisionItem.objects.exists()
    assert Inspection.objects.count() >= 6
    states = set(Problem.objects.values_list("state", flat=True))
    assert states == set(ProblemState.values)
    # Every problem's state is the last state of its timeline.
    for p in Problem.objects.prefetch_related("events"):
        events = list(p.events.all())
        assert events[0].verb == Verb.CREATE
        moves = [e for e in events if e.to_state]
        assert moves[-1].to_state == p.state
    overdue = Problem.objects.filter(is_overdue=True, state=ProblemState.OPEN)
    assert overdue.exists()
    assert all(p.escalated_to_id != p.area_id for p in overdue)
    # The sweep has already run: running it again on the same day changes nothing.
    now = dt.datetime.combine(TODAY, dt.time(12)).astimezone()
    assert sweep(now=now) == {"overdue": 0}

    # Bulletins, drawn from the data after the cases and the scoring steps.
    published = Bulletin.objects.filter(state=BulletinState.PUBLISHED)
    assert published.count() == 1
    b = published.get()
    assert b.content["kpis"]["rows"]
    assert Bulletin.objects.filter(state=BulletinState.REVIEWED).exists()
