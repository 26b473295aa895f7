"""Small builders shared by the disclosure tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wangge.disclosure import services


def published(*, village, item, period, editor, reviewer, body="本月收支情况", table=None):
    d = services.disclosure_create(
        actor=editor, village=village, item=item, period=period, body=body, table=table
    )
    services.disclosure_submit(actor=editor, disclosure=d)
    return services.disclosure_publish(actor=reviewer, disclosure=d)


def reviewed_decision(*, village, actor, title="修建村道", **kwargs):
    day = timezone.localdate() - dt.timedelta(days=10)
    d = services.decision_create(actor=actor, village=village, title=title, held_on=day, **kwargs)
    d = services.decision_advance(
        actor=actor, decision=d, stage="discussed", held_on=day + dt.timedelta(days=1)
    )
    return services.decision_advance(
        actor=actor, decision=d, stage="reviewed", held_on=day + dt.timedelta(days=2)
    )


def passed_decision(*, village, actor, **kwargs):
    d = reviewed_decision(village=village, actor=actor, **kwargs)
    return services.decision_vote(
        actor=actor,
        decision=d,
        held_on=timezone.localdate() - dt.timedelta(days=5),
        representatives_total=30,
        attendance=25,
        votes_for=20,
        votes_against=3,
        votes_abstain=2,
    )


def one_matter(*, village, actor, days_ago=20, **kwargs):
    """一事一议 proposed: a road paved with 30 yuan from each of 200 households."""
    values = {
        "title": "三组道路硬化",
        "project_kind": "road",
        "budget": "200000",
        "other_funding": "140000",
        "basis": "household",
        "contribution": "30",
        "contributors": 200,
        "voting_body": "households",
        "held_on": timezone.localdate() - dt.timedelta(days=days_ago),
    }
    values.update(kwargs)
    return services.one_matter_create(actor=actor, village=village, **values)


def one_matter_passed(*, village, actor, **kwargs):
    d = one_matter(village=village, actor=actor, **kwargs)
    d = services.decision_advance(
        actor=actor,
        decision=d,
        stage="announced",
        held_on=timezone.localdate() - dt.timedelta(days=15),
    )
    return services.decision_vote(
        actor=actor,
        decision=d,
        held_on=timezone.localdate() - dt.timedelta(days=8),
        representatives_total=200,
        attendance=150,
        votes_for=120,
        votes_against=20,
        votes_abstain=10,
    )
