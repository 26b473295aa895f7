"""一事一议: its own template (plan proposed → announced → villagers' meeting votes → town
approves → plan published → use of the money and labour published), its own plan of
contributions with the province's ceilings, and the same refusal to skip a stage or to publish
what has not passed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from wangge.core.errors import DomainError, TransitionNotAllowed
from wangge.core.models import AuditEntry
from wangge.disclosure import services
from wangge.disclosure.choices import DecisionStage
from wangge.disclosure.models import Decision, DecisionStep, OneMatterPlan
from wangge.disclosure.tests.helpers import one_matter, one_matter_passed

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() - dt.timedelta(days=1)
# announced at least 7 days (WANGGE_ONE_MATTER_NOTICE_DAYS) before the meeting on DAY
NOTICE_DAY = DAY - dt.timedelta(days=7)


def _nothing_created():
    return not Decision.objects.exists() and not OneMatterPlan.objects.exists()


def test_proposal_stores_the_plan_and_takes_the_quorum_from_the_meeting(territory, editor):
    d = one_matter(village=territory.village_a, actor=editor)
    d = Decision.objects.select_related("plan").get(pk=d.pk)
    assert d.kind == "one_matter" and d.stage == DecisionStage.PROPOSED
    assert d.amount == Decimal("200000.00")
    plan = d.plan
    assert plan.budget == Decimal("200000.00") and plan.other_funding == Decimal("140000.00")
    assert plan.contribution == Decimal("30.00") and plan.raised == Decimal("6000.00")
    # the province's limit by default: 20 yuan a person, a household counts as 4 persons
    assert plan.contribution_cap == Decimal("80.00") and plan.labour_cap == 10
    # households' meeting: two thirds of the households must attend
    assert d.quorum_rule == "two_thirds" and d.majority_rule == "simple_present"
    assert list(d.steps.values_list("stage", flat=True)) == ["proposed"]
    assert AuditEntry.objects.filter(verb="decision.propose", object_id=str(d.pk)).exists()

    v = one_matter(
        village=territory.village_a,
        actor=editor,
        voting_body="villagers",
        basis="person",
        contribution="15",
        contributors=800,
    )
    assert v.quorum_rule == "half" and v.plan.contribution_cap == Decimal("20.00")


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"contribution": "90"}, "contribution", "above_cap"),  # 80 a household
        ({"basis": "person", "contribution": "25"}, "contribution", "above_cap"),
        ({"contribution": "30", "contribution_cap": "25"}, "contribution", "above_cap"),
        ({"contribution_cap": "100"}, "contribution_cap", None),  # above the province's
        ({"labour_days": 12, "labourers": 100}, "labour_days", "above_cap"),
        ({"labour_days": 2, "labourers": 0}, "labourers", None),
        ({"labour_cap": 15}, "labour_cap", None),
        # 80 × 1000 = 80,000 > 200,000 − 140,000
        ({"contribution": "80", "contributors": 1000}, "contribution", "raised_exceeds_budget"),
        ({"other_funding": "250000"}, "other_funding", None),
        ({"budget": "0"}, "budget", None),
        ({"budget": "-5"}, "budget", None),
        ({"contribution": "0", "labour_days": 0}, "contribution", None),
        ({"project_kind": "casino"}, "project_kind", None),
        ({"voting_body": "party_branch"}, "voting_body", None),
        ({"title": "  "}, "title", None),
    ],
)
def test_bad_plan_refused_and_nothing_saved(territory, editor, kwargs, field, code):
    with pytest.raises(DomainError) as exc:
        one_matter(village=territory.village_a, actor=editor, **kwargs)
    assert exc.value.field == field
    if code:
        assert exc.value.code == code
    assert _nothing_created() and not DecisionStep.objects.exists()


def test_the_county_configures_the_ceiling(territory, editor, settings):
    settings.WANGGE_ONE_MATTER_CAP_PER_PERSON = "15"
    with pytest.raises(DomainError):
        one_matter(village=territory.village_a, actor=editor, basis="person", contribution="18")
    d = one_matter(village=territory.village_a, actor=editor, basis="person", contribution="15")
    assert d.plan.contribution_cap == Decimal("15.00")


def test_full_road_of_the_template(territory, editor):
    d = one_matter_passed(village=territory.village_a, actor=editor)
    assert d.stage == DecisionStage.PASSED
    assert d.stage_label != DecisionStage.PASSED.label  # worded for the villagers' meeting
    d = services.decision_advance(
        actor=editor, decision=d, stage="town_approved", held_on=DAY - dt.timedelta(days=2)
    )
    d = services.decision_publish_resolution(
        actor=editor, decision=d, resolution="按户筹资每户30元", held_on=DAY
    )
    d = services.decision_publish_result(actor=editor, decision=d, result="已完工", held_on=DAY)
    assert d.stage == DecisionStage.RESULT_PUBLISHED
    assert list(d.steps.values_list("stage", flat=True)) == [
        "proposed",
        "announced",
        "passed",
        "town_approved",
        "resolution_published",
        "result_published",
    ]


def test_no_stage_can_be_skipped(territory, editor):
    d = one_matter(village=territory.village_a, actor=editor)
    # no vote on a plan that was not announced beforehand
    with pytest.raises(TransitionNotAllowed):
        services.decision_vote(
            actor=editor,
            decision=d,
            held_on=DAY,
            representatives_total=200,
            attendance=150,
            votes_for=120,
            votes_against=0,
        )
    # not the stages of 四议两公开, and not the town before the vote
    for stage in ("discussed", "reviewed", "town_approved"):
        with pytest.raises(TransitionNotAllowed):
            services.decision_advance(actor=editor, decision=d, stage=stage, held_on=DAY)
    with pytest.raises(TransitionNotAllowed):
        services.decision_publish_resolution(actor=editor, decision=d, resolution="x")
    d.refresh_from_db()
    assert d.stage == DecisionStage.PROPOSED and d.steps.count() == 1


def test_not_published_before_the_town_approved_it(territory, editor):
    d = one_matter_passed(village=territory.village_a, actor=editor)
    with pytest.raises(TransitionNotAllowed):
        services.decision_publish_resolution(actor=editor, decision=d, resolution="按户筹资")
    with pytest.raises(TransitionNotAllowed):
        services.decision_publish_result(actor=editor, decision=d, result="完工")
    d.refresh_from_db()
    assert d.stage == DecisionStage.PASSED and d.resolution == ""


def test_rejected_plan_goes_no_further(territory, editor):
    d = one_matter(village=territory.village_a, actor=editor)
    d = services.decision_advance(actor=editor, decision=d, stage="announced", held_on=NOTICE_DAY)
    d = services.decision_vote(
        actor=editor,
        decision=d,
        held_on=DAY,
        representatives_total=200,
        attendance=140,
        votes_for=70,  # not more than half of those present
        votes_against=60,
    )
    assert d.stage == DecisionStage.REJECTED
    with pytest.raises(TransitionNotAllowed):
        services.decision_advance(actor=editor, decision=d, stage="town_approved", held_on=DAY)
    with pytest.raises(TransitionNotAllowed):
        services.decision_publish_resolution(actor=editor, decision=d, resolution="x")


def test_villagers_meeting_needs_more_than_half(territory, editor):
    d = one_matter(
        village=territory.village_a,
        actor=editor,
        voting_body="villagers",
        basis="person",
        contribution="10",
        contributors=600,
    )
    d = services.decision_advance(actor=editor, decision=d, stage="announced", held_on=NOTICE_DAY)
    with pytest.raises(DomainError) as exc:
        services.decision_vote(
            actor=editor,
            decision=d,
            held_on=DAY,
            representatives_total=600,
            attendance=300,
            votes_for=290,
            votes_against=0,
        )
    assert exc.value.code == "quorum_not_reached"
    d.refresh_from_db()
    assert d.stage == DecisionStage.ANNOUNCED and d.attendance is None
    d = services.decision_vote(
        actor=editor,
        decision=d,
        held_on=DAY,
        representatives_total=600,
        attendance=301,
        votes_for=151,
        votes_against=100,
    )
    assert d.stage == DecisionStage.PASSED


def test_other_village_refused(territory, editor_b):
    from wangge.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        one_matter(village=territory.village_a, actor=editor_b)
    assert _nothing_created()


# --- pages -----------------------------------------------------------------------------------


def _form(territory, **kwargs):
    data = {
        "village": territory.village_a.pk,
        "title": "三组道路硬化",
        "project_kind": "road",
        "summary": "硬化道路1.2公里",
        "budget": "200000",
        "other_funding": "140000",
        "basis": "household",
        "contribution": "30",
        "contributors": "200",
        "labour_days": "2",
        "labourers": "180",
        "exemptions": "特困供养户免筹",
        "voting_body": "households",
        "majority_rule": "simple_present",
        "held_on": (timezone.localdate() - dt.timedelta(days=20)).isoformat(),
    }
    data.update(kwargs)
    return data


def test_form_walks_the_template_and_the_village_page_shows_it(client, territory, editor):
    client.force_login(editor)
    assert client.get(reverse("disclosure:one_matter_create")).status_code == 200
    r = client.post(reverse("disclosure:one_matter_create"), _form(territory))
    assert r.status_code == 302
    d = Decision.objects.get()
    assert d.plan.labour_days == 2 and d.plan.labourers == 180
    url = reverse("disclosure:decision_detail", args=[d.pk])
    page = client.get(url).content.decode()
    assert "6000.00" in page  # raised: 200 × 30
    announced = (timezone.localdate() - dt.timedelta(days=17)).isoformat()
    assert client.post(url, {"held_on": announced}).status_code == 302  # announced
    day = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    d.refresh_from_db()
    assert d.stage == DecisionStage.ANNOUNCED
    vote = {
        "held_on": day,
        "representatives_total": 200,
        "attendance": 120,  # below two thirds of the households
        "votes_for": 100,
        "votes_against": 10,
        "votes_abstain": 0,
    }
    r = client.post(url, vote)
    assert r.status_code == 400
    d.refresh_from_db()
    assert d.stage == DecisionStage.ANNOUNCED
    assert client.post(url, {**vote, "attendance": 150}).status_code == 302
    d.refresh_from_db()
    assert d.stage == DecisionStage.PASSED
    # the form now offers the town's approval, not the publication
    assert client.post(url, {"held_on": day}).status_code == 302
    d.refresh_from_db()
    assert d.stage == DecisionStage.TOWN_APPROVED
    public = reverse("disclosure_public:decision", args=[territory.village_a.code, d.pk])
    assert client.get(public).status_code == 404  # not yet published
    client.post(url, {"text": "按户筹资每户每年30元", "held_on": day})
    d.refresh_from_db()
    assert d.stage == DecisionStage.RESOLUTION_PUBLISHED

    client.logout()
    village = client.get(reverse("disclosure_public:village", args=[territory.village_a.code]))
    html = village.content.decode()
    assert "三组道路硬化" in html and public in html
    page = client.get(public).content.decode()
    assert "6000.00" in page and "30.00" in page and "80.00" in page
    assert "特困供养户免筹" in page


def test_form_bad_input_is_explained_and_nothing_saved(client, territory, editor):
    client.force_login(editor)
    r = client.post(reverse("disclosure:one_matter_create"), _form(territory, contribution="95"))
    assert r.status_code == 400
    assert "80" in r.content.decode()  # the ceiling is named
    assert _nothing_created()
    r = client.post(reverse("disclosure:one_matter_create"), _form(territory, budget="abc"))
    assert r.status_code == 400 and _nothing_created()


def test_form_out_of_scope(client, territory, editor_b):
    client.force_login(editor_b)
    r = client.post(reverse("disclosure:one_matter_create"), _form(territory))
    assert r.status_code == 400 and _nothing_created()  # village A is not a choice
    client.force_login(editor_b)
    d = one_matter(village=territory.village_a, actor=None)
    url = reverse("disclosure:decision_detail", args=[d.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"held_on": DAY.isoformat()}).status_code == 404
    d.refresh_from_db()
    assert d.stage == DecisionStage.PROPOSED


@pytest.mark.urls("wangge.disclosure.tests.api_urls")
def test_api(territory, editor):
    api = APIClient()
    api.force_authenticate(editor)
    body = {k: v for k, v in _form(territory).items()}
    r = api.post("/api/disclosure/decisions/one-matter/", body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["plan"]["raised"] == "6000.00" and r.json()["kind"] == "one_matter"
    pk = r.json()["id"]
    r = api.post(
        f"/api/disclosure/decisions/{pk}/advance/",
        {"stage": "reviewed", "held_on": DAY.isoformat()},
        format="json",
    )
    assert r.status_code == 409
    r = api.post(
        "/api/disclosure/decisions/one-matter/", {**body, "contribution": "95"}, format="json"
    )
    assert r.status_code == 400 and Decision.objects.count() == 1
