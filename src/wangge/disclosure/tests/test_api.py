import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from wangge.disclosure import services
from wangge.disclosure.tests.helpers import reviewed_decision

pytestmark = [pytest.mark.django_db, pytest.mark.urls("wangge.disclosure.tests.api_urls")]


@pytest.fixture
def api():
    return APIClient()


def test_items(api, editor):
    api.force_authenticate(editor)
    r = api.get("/api/disclosure/items/")
    assert r.status_code == 200 and len(r.json()) == 24


def test_disclosure_flow(api, territory, editor, reviewer):
    api.force_authenticate(editor)
    r = api.post(
        "/api/disclosure/disclosures/",
        {
            "village": territory.village_a.pk,
            "item": "income-expense",
            "period": "2026-10",
            "table": {"columns": ["摘要", "金额"], "rows": [["承包费", "100.00"]]},
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert api.post(f"/api/disclosure/disclosures/{pk}/submit/").json()["status"] == "submitted"
    # the editor cannot publish: out of the review scope → 404
    assert api.post(f"/api/disclosure/disclosures/{pk}/publish/").status_code == 404
    api.force_authenticate(reviewer)
    r = api.post(f"/api/disclosure/disclosures/{pk}/publish/")
    assert r.status_code == 200 and r.json()["status"] == "published"
    # publishing again is a refused transition
    r = api.post(f"/api/disclosure/disclosures/{pk}/publish/")
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"


def test_disclosure_scope(api, territory, editor, editor_b):
    api.force_authenticate(editor_b)
    r = api.post(
        "/api/disclosure/disclosures/",
        {"village": territory.village_a.pk, "item": "income-expense", "period": "2026-10"},
        format="json",
    )
    assert r.status_code == 404
    d = services.disclosure_create(
        actor=editor,
        village=territory.village_a,
        item=services.DisclosureItem.objects.get(code="income-expense"),
        period="2026-10",
    )
    assert api.get(f"/api/disclosure/disclosures/{d.pk}/").status_code == 404
    assert api.get("/api/disclosure/disclosures/").json()["count"] == 0


def test_vote_refused_over_api(api, territory, editor):
    d = reviewed_decision(village=territory.village_a, actor=editor)
    api.force_authenticate(editor)
    r = api.post(
        f"/api/disclosure/decisions/{d.pk}/vote/",
        {
            "held_on": timezone.localdate().isoformat(),
            "representatives_total": 30,
            "attendance": 10,
            "votes_for": 10,
            "votes_against": 0,
        },
        format="json",
    )
    assert r.status_code == 400 and r.json()["code"] == "quorum_not_reached"


def test_completeness_api(api, territory, town_admin):
    api.force_authenticate(town_admin)
    r = api.get("/api/disclosure/completeness/", {"period": "2026-10", "town": territory.town.pk})
    assert r.status_code == 200
    rows = r.json()
    assert len(rows) == 2 and rows[0]["missing"][0]["item"] == "income-expense"
