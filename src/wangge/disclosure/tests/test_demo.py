"""The disclosure demo step (disclosure/demo.py) on the tiny preset: nothing unpublished or
unmasked reaches the village page, and decisions sit in a consistent stage."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

import pytest

from wangge import demo
from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.disclosure.choices import (
    PUBLIC_DECISION_STAGES,
    DecisionKind,
    DecisionStage,
    DisclosureStatus,
    FeedbackKind,
    IssueStatus,
)
from wangge.disclosure.models import Decision, Disclosure, Feedback, FocalIssue

TODAY = dt.date(2026, 6, 15)
FULL_ID = re.compile(r"\d{17}[\dX]")
# The road 四议两公开 takes, in order (None: passed or rejected), and the one of 一事一议.
PATHS = {
    DecisionKind.FOUR_DISCUSSIONS: [
        DecisionStage.PROPOSED,
        DecisionStage.DISCUSSED,
        DecisionStage.REVIEWED,
        None,
        DecisionStage.RESOLUTION_PUBLISHED,
        DecisionStage.RESULT_PUBLISHED,
    ],
    DecisionKind.ONE_MATTER: [
        DecisionStage.PROPOSED,
        DecisionStage.ANNOUNCED,
        None,
        DecisionStage.TOWN_APPROVED,
        DecisionStage.RESOLUTION_PUBLISHED,
        DecisionStage.RESULT_PUBLISHED,
    ],
}


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tiny(db):
    return demo.build(preset="tiny", seed=7, today=TODAY)


def test_every_village_has_published_and_unpublished_disclosures(tiny):
    for village in Area.objects.filter(level=AreaLevel.VILLAGE):
        statuses = set(Disclosure.objects.filter(village=village).values_list("status", flat=True))
        assert DisclosureStatus.PUBLISHED in statuses
        assert statuses - {DisclosureStatus.PUBLISHED}


def test_published_content_holds_no_full_id_number(tiny):
    published = Disclosure.objects.filter(status=DisclosureStatus.PUBLISHED)
    assert published.filter(item__code="subsistence-allowance").exists()
    for d in published:
        assert not FULL_ID.search(str(d.table)), d
        assert not FULL_ID.search(d.body), d
    for text in Decision.objects.values_list("resolution", "result", "summary"):
        assert not FULL_ID.search(" ".join(text))
    # The submitted subsidy list still has the full numbers: only publishing masks them.
    assert any(
        FULL_ID.search(str(d.table))
        for d in Disclosure.objects.exclude(status=DisclosureStatus.PUBLISHED)
    )
    allowance = published.filter(item__code="subsistence-allowance").first()
    ids = [row[allowance.columns.index("身份证号")] for row in allowance.rows]
    assert ids and all(re.fullmatch(r"\d{3}\*{11}[\dX]{4}", i) for i in ids)


def test_the_village_page_shows_only_published_content(tiny, client):
    for village in Area.objects.filter(level=AreaLevel.VILLAGE):
        page = client.get(f"/v/{village.code}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert not FULL_ID.search(html)
        for d in Disclosure.objects.filter(village=village):
            detail = client.get(f"/v/{village.code}/d/{d.pk}/")
            if d.status == DisclosureStatus.PUBLISHED:
                assert detail.status_code == 200
                assert not FULL_ID.search(detail.content.decode())
            else:
                assert detail.status_code == 404
                assert f"/v/{village.code}/d/{d.pk}/" not in html
                assert d.title not in html
        for decision in Decision.objects.filter(village=village):
            detail = client.get(f"/v/{village.code}/decisions/{decision.pk}/")
            assert detail.status_code == (200 if decision.is_public else 404)


def test_decisions_are_in_a_consistent_stage(tiny):
    decisions = Decision.objects.prefetch_related("steps")
    stages = {d.stage for d in decisions}
    assert DecisionStage.RESULT_PUBLISHED in stages
    assert len(stages) >= 2
    assert {d.kind for d in decisions} == set(PATHS)
    for d in decisions:
        steps = list(d.steps.order_by("id"))
        done = [s.stage for s in steps]
        path = PATHS[d.kind]
        assert done[-1] == d.stage
        for i, stage in enumerate(done):
            if path[i] is None:
                assert stage in (DecisionStage.PASSED, DecisionStage.REJECTED)
            else:
                assert stage == path[i]
        dates = [s.held_on for s in steps]
        assert dates == sorted(dates) and dates[-1] <= TODAY
        vote_at = path.index(None)
        voted = len(done) > vote_at
        assert (d.votes_for is not None) == voted
        if voted:
            cast = d.votes_for + d.votes_against + d.votes_abstain
            assert cast <= d.attendance <= d.representatives_total
            assert Fraction(d.attendance, d.representatives_total) >= Fraction(2, 3)
            passed = d.votes_for * 2 > d.attendance
            assert passed == (done[vote_at] == DecisionStage.PASSED)
        assert bool(d.resolution) == (d.stage in PUBLIC_DECISION_STAGES)
        assert (d.resolution_published_at is not None) == (d.stage in PUBLIC_DECISION_STAGES)
        assert bool(d.result) == (d.stage == DecisionStage.RESULT_PUBLISHED)
        if d.kind == DecisionKind.ONE_MATTER:
            plan = d.plan
            assert plan.contribution <= plan.contribution_cap
            assert plan.labour_days <= plan.labour_cap
            assert plan.raised + plan.other_funding <= plan.budget == d.amount
            # 提前公告: announced at least the notice period (7 days) before the vote
            on = {s.stage: s.held_on for s in steps}
            voted_on = on.get(DecisionStage.PASSED) or on.get(DecisionStage.REJECTED)
            if voted_on is not None:
                assert voted_on - on[DecisionStage.ANNOUNCED] >= dt.timedelta(days=7)


def test_questions_ratings_and_ledger(tiny):
    questions = Feedback.objects.filter(kind=FeedbackKind.QUESTION)
    assert questions.filter(answered_at__isnull=False).exists()
    for q in questions.filter(answered_at__isnull=False):
        assert q.answer and q.answered_by is not None
    ratings = Feedback.objects.filter(kind=FeedbackKind.RATING)
    assert ratings.exists()
    for r in ratings:
        assert 1 <= r.rating <= 5
        assert (r.disclosure_id is None) != (r.decision_id is None)
        if r.disclosure_id:
            assert r.disclosure.status == DisclosureStatus.PUBLISHED
    statuses = set(FocalIssue.objects.values_list("status", flat=True))
    assert {IssueStatus.OPEN, IssueStatus.CROSSED_OFF, IssueStatus.ANSWERED} <= statuses
    for issue in FocalIssue.objects.filter(status=IssueStatus.CROSSED_OFF):
        assert issue.rectification and issue.crossed_off_at is not None
    for issue in FocalIssue.objects.filter(status=IssueStatus.OPEN):
        assert issue.responsible and issue.deadline >= issue.raised_on
