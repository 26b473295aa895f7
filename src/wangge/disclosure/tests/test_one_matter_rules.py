"""一事一议: the plan is announced in advance of the villagers' meeting 提前公告
(WANGGE_ONE_MATTER_NOTICE_DAYS, 7 days by default), and the town government may refuse the
adopted plan with its reason 乡镇审核不同意, which ends the decision where everyone can see it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.models import AuditEntry
from wangge.disclosure import services
from wangge.disclosure.choices import DecisionStage
from wangge.disclosure.models import Decision
from wangge.disclosure.tests.helpers import (
    one_matter,
    one_matter_passed,
    passed_decision,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
REASON = "每户筹资60元超出群众承受能力，筹资额不合理"


def _announced(territory, editor, *, days_ago):
    d = one_matter(village=territory.village_a, actor=editor, days_ago=40)
    return services.decision_advance(
        actor=editor,
        decision=d,
        stage="announced",
        held_on=TODAY - dt.timedelta(days=days_ago),
    )


def _vote(editor, d, held_on):
    return services.decision_vote(
        actor=editor,
        decision=d,
        held_on=held_on,
        representatives_total=200,
        attendance=150,
        votes_for=120,
        votes_against=20,
        votes_abstain=10,
    )


def _unchanged(d, stage):
    d.refresh_from_db()
    return (
        d.stage == stage
        and d.attendance is None
        and d.refusal_reason == ""
        and not d.steps.filter(stage__in=["passed", "rejected", "town_refused"]).exists()
    )


# --- 提前公告 -------------------------------------------------------------------------------


def test_vote_too_soon_after_the_announcement_refused_and_nothing_changed(territory, editor):
    d = _announced(territory, editor, days_ago=10)
    announced_on = TODAY - dt.timedelta(days=10)
    for held_on in (announced_on, announced_on + dt.timedelta(days=6)):
        with pytest.raises(DomainError) as exc:
            _vote(editor, d, held_on)
        assert exc.value.code == "notice_too_short" and exc.value.field == "held_on"
        assert "7" in str(exc.value.message)
        assert (announced_on + dt.timedelta(days=7)).isoformat() in str(exc.value.message)
    assert _unchanged(d, DecisionStage.ANNOUNCED)
    assert not AuditEntry.objects.filter(verb="decision.vote").exists()
    # exactly the notice period is enough
    d = _vote(editor, d, announced_on + dt.timedelta(days=7))
    assert d.stage == DecisionStage.PASSED


def test_the_county_sets_the_notice_period(territory, editor, settings):
    settings.WANGGE_ONE_MATTER_NOTICE_DAYS = 10
    d = _announced(territory, editor, days_ago=12)
    with pytest.raises(DomainError) as exc:
        _vote(editor, d, TODAY - dt.timedelta(days=3))  # 9 days after
    assert exc.value.code == "notice_too_short" and "10" in str(exc.value.message)
    assert _unchanged(d, DecisionStage.ANNOUNCED)
    assert _vote(editor, d, TODAY - dt.timedelta(days=2)).stage == DecisionStage.PASSED


def test_four_discussions_have_no_notice_period(territory, editor):
    # 四议两公开: the party members' meeting and the vote may be days apart or the same day
    d = passed_decision(village=territory.village_a, actor=editor)
    assert d.stage == DecisionStage.PASSED


def test_vote_form_explains_the_notice_in_chinese(client, territory, editor):
    d = _announced(territory, editor, days_ago=3)
    client.force_login(editor)
    url = reverse("disclosure:decision_detail", args=[d.pk])
    r = client.post(
        url,
        {
            "held_on": (TODAY - dt.timedelta(days=1)).isoformat(),
            "representatives_total": 200,
            "attendance": 150,
            "votes_for": 120,
            "votes_against": 20,
            "votes_abstain": 10,
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert r.status_code == 400
    assert "提前" in r.content.decode() and "公告" in r.content.decode()
    assert _unchanged(d, DecisionStage.ANNOUNCED)


# --- 乡镇审核不同意 --------------------------------------------------------------------------


def test_town_refuses_the_plan_with_its_reason(client, territory, editor):
    d = one_matter_passed(village=territory.village_a, actor=editor)
    d = services.decision_town_refuse(
        actor=editor, decision=d, reason=REASON, held_on=TODAY - dt.timedelta(days=2)
    )
    assert d.stage == DecisionStage.TOWN_REFUSED and d.refusal_reason == REASON
    assert list(d.steps.values_list("stage", flat=True)) == [
        "proposed",
        "announced",
        "passed",
        "town_refused",
    ]
    assert AuditEntry.objects.filter(verb="decision.town_refuse", object_id=str(d.pk)).exists()
    # final: never approved, published or refused again
    with pytest.raises(TransitionNotAllowed):
        services.decision_advance(actor=editor, decision=d, stage="town_approved", held_on=TODAY)
    with pytest.raises(TransitionNotAllowed):
        services.decision_publish_resolution(actor=editor, decision=d, resolution="按户筹资")
    with pytest.raises(TransitionNotAllowed):
        services.decision_publish_result(actor=editor, decision=d, result="完工")
    with pytest.raises(TransitionNotAllowed):
        services.decision_town_refuse(actor=editor, decision=d, reason="再次", held_on=TODAY)
    d.refresh_from_db()
    assert d.stage == DecisionStage.TOWN_REFUSED and d.resolution == "" and d.steps.count() == 4

    # staff page
    client.force_login(editor)
    page = client.get(reverse("disclosure:decision_detail", args=[d.pk])).content.decode()
    assert REASON in page and 'value="refuse"' not in page
    # village page and the decision's public page, with the reason
    client.logout()
    public = reverse("disclosure_public:decision", args=[territory.village_a.code, d.pk])
    village = client.get(reverse("disclosure_public:village", args=[territory.village_a.code]))
    html = village.content.decode()
    assert public in html and REASON in html
    r = client.get(public)
    assert r.status_code == 200 and REASON in r.content.decode()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "   "}, "reason"),
        ({"reason": "不合理" * 200}, "reason"),
        ({"held_on": TODAY + dt.timedelta(days=1)}, "held_on"),
        ({"held_on": None}, "held_on"),
        ({"held_on": TODAY - dt.timedelta(days=30)}, "held_on"),  # before the vote
    ],
)
def test_bad_refusal_changes_nothing(territory, editor, kwargs, field):
    d = one_matter_passed(village=territory.village_a, actor=editor)
    values = {"reason": REASON, "held_on": TODAY, **kwargs}
    with pytest.raises(DomainError) as exc:
        services.decision_town_refuse(actor=editor, decision=d, **values)
    assert exc.value.field == field
    d.refresh_from_db()
    assert d.stage == DecisionStage.PASSED and d.refusal_reason == "" and d.steps.count() == 3
    assert not AuditEntry.objects.filter(verb="decision.town_refuse").exists()


def test_refusal_only_of_a_passed_one_matter_plan(territory, editor, editor_b):
    announced = _announced(territory, editor, days_ago=3)
    four = passed_decision(village=territory.village_a, actor=editor)
    approved = one_matter_passed(village=territory.village_a, actor=editor)
    approved = services.decision_advance(
        actor=editor, decision=approved, stage="town_approved", held_on=TODAY
    )
    for d in (announced, four, approved):
        stage = d.stage
        with pytest.raises(TransitionNotAllowed):
            services.decision_town_refuse(actor=editor, decision=d, reason=REASON, held_on=TODAY)
        d.refresh_from_db()
        assert d.stage == stage and d.refusal_reason == ""
    passed = one_matter_passed(village=territory.village_a, actor=editor)
    with pytest.raises(PermissionDenied):
        services.decision_town_refuse(actor=editor_b, decision=passed, reason=REASON, held_on=TODAY)
    passed.refresh_from_db()
    assert passed.stage == DecisionStage.PASSED
    assert not AuditEntry.objects.filter(verb="decision.town_refuse").exists()
    # a passed plan is not public while the town has not decided
    public = reverse("disclosure_public:decision", args=[territory.village_a.code, passed.pk])
    from django.test import Client

    assert Client().get(public).status_code == 404


def test_staff_page_refuses_with_a_reason(client, territory, editor, editor_b):
    d = one_matter_passed(village=territory.village_a, actor=editor)
    url = reverse("disclosure:decision_detail", args=[d.pk])
    client.force_login(editor)
    page = client.get(url).content.decode()
    assert 'value="refuse"' in page  # beside the town's approval
    r = client.post(url, {"action": "refuse", "reason": "", "held_on": TODAY.isoformat()})
    assert r.status_code == 400
    d.refresh_from_db()
    assert d.stage == DecisionStage.PASSED and d.steps.count() == 3
    client.force_login(editor_b)
    r = client.post(url, {"action": "refuse", "reason": REASON, "held_on": TODAY.isoformat()})
    assert r.status_code == 404
    d.refresh_from_db()
    assert d.stage == DecisionStage.PASSED
    client.force_login(editor)
    r = client.post(url, {"action": "refuse", "reason": REASON, "held_on": TODAY.isoformat()})
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.stage == DecisionStage.TOWN_REFUSED and d.refusal_reason == REASON
    # once refused, a second refusal is explained, not applied
    r = client.post(url, {"action": "refuse", "reason": "再次", "held_on": TODAY.isoformat()})
    assert r.status_code == 400
    d.refresh_from_db()
    assert d.refusal_reason == REASON


@pytest.mark.urls("wangge.disclosure.tests.api_urls")
def test_api_town_refuse(territory, editor, editor_b):
    d = one_matter_passed(village=territory.village_a, actor=editor)
    url = f"/api/disclosure/decisions/{d.pk}/town-refuse/"
    api = APIClient()
    api.force_authenticate(editor_b)
    assert api.post(url, {"reason": REASON, "held_on": TODAY}, format="json").status_code == 404
    api.force_authenticate(editor)
    r = api.post(url, {"reason": "", "held_on": TODAY}, format="json")
    assert r.status_code == 400
    d.refresh_from_db()
    assert d.stage == DecisionStage.PASSED
    r = api.post(url, {"reason": REASON, "held_on": TODAY}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["stage"] == "town_refused" and r.json()["refusal_reason"] == REASON
    r = api.post(url, {"reason": REASON, "held_on": TODAY}, format="json")
    assert r.status_code == 409
    # the vote's notice period through the API
    a = _announced(territory, editor, days_ago=2)
    r = api.post(
        f"/api/disclosure/decisions/{a.pk}/vote/",
        {
            "held_on": TODAY,
            "representatives_total": 200,
            "attendance": 150,
            "votes_for": 120,
            "votes_against": 20,
        },
        format="json",
    )
    assert r.status_code == 400
    assert Decision.objects.get(pk=a.pk).stage == DecisionStage.ANNOUNCED
