import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.scoring import services
from wangge.scoring.models import PointEntry, PointRule
from wangge.testing.api import api_client, ids

from .conftest import patrol

pytestmark = [pytest.mark.django_db, pytest.mark.urls("wangge.scoring.tests.urls_api")]


def _count(client, url):
    client.get(url)  # steady state: after new rows the first request re-reads cached posts/users
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries)


def _grow(world, start, n):
    from wangge.core.events import emit

    for i in range(start, start + n):
        emit(
            "fieldwork.patrol.finished", patrol=patrol(i, world.worker_a1, world.t.grid_a1), at=None
        )
        emit(
            "fieldwork.patrol.finished", patrol=patrol(i, world.worker_b1, world.t.grid_b1), at=None
        )
    services.assess_period("month", dt.date(2025, 9, 1), dt.date(2025, 9, 30))


@pytest.mark.parametrize(
    "url", ["/api/points/entries/", "/api/points/assessments/", "/api/points/rules/"]
)
def test_list_query_counts_are_flat(world, url):
    client = api_client(world.town_admin)
    _grow(world, 1, 2)
    few = _count(client, url)
    _grow(world, 100, 8)
    assert _count(client, url) == few


def test_scope_and_404(world):
    _grow(world, 1, 1)
    a1 = PointEntry.objects.get(subject_id=world.worker_a1.pk)
    b1 = PointEntry.objects.get(subject_id=world.worker_b1.pk)
    chief_a = api_client(world.chief_a)
    assert ids(chief_a.get("/api/points/entries/")) == {a1.pk}
    assert chief_a.get(f"/api/points/entries/{b1.pk}/").status_code == 404
    # A worker sees their own entries only.
    worker = api_client(world.worker_b1)
    assert ids(worker.get("/api/points/entries/")) == {b1.pk}
    assessments = worker.get("/api/points/assessments/").json()["results"]
    assert {(a["subject_kind"], a["subject_id"]) for a in assessments} == {
        ("user", world.worker_b1.pk)
    }
    assert api_client().get("/api/points/entries/").status_code in (401, 403)


def test_entries_are_never_changed_through_the_api(world):
    _grow(world, 1, 1)
    e = PointEntry.objects.filter(subject_id=world.worker_a1.pk).first()
    client = api_client(world.county_admin)
    assert (
        client.patch(f"/api/points/entries/{e.pk}/", {"points": 9}, format="json").status_code
        == 405
    )
    assert client.put(f"/api/points/entries/{e.pk}/", {}, format="json").status_code == 405
    assert client.delete(f"/api/points/entries/{e.pk}/").status_code == 405
    r = client.post(f"/api/points/entries/{e.pk}/reverse/", {"reason": ""}, format="json")
    assert r.status_code == 400
    r = client.post(f"/api/points/entries/{e.pk}/reverse/", {"reason": "误记"}, format="json")
    assert r.status_code == 201 and r.json()["points"] == "-0.5"
    r = client.post(f"/api/points/entries/{e.pk}/reverse/", {"reason": "again"}, format="json")
    assert r.status_code == 409


def test_manual_entry_bad_input(world):
    client = api_client(world.town_admin)
    url = "/api/points/entries/"
    for body in (
        {"rule": "commendation", "subject_id": world.worker_a1.pk},
        {"rule": "commendation", "subject_id": world.worker_a1.pk, "reason": "   "},
        {"rule": "case_on_time", "subject_id": world.worker_a1.pk, "reason": "x"},
        {"rule": "commendation", "subject_id": "abc", "reason": "x"},
        {"rule": "commendation", "subject_id": 10**20, "reason": "x"},
        {
            "rule": "commendation",
            "subject_id": world.worker_a1.pk,
            "reason": "x",
            "day": "9999-99-99",
        },
    ):
        r = client.post(url, body, format="json")
        assert r.status_code == 400, (body, r.content)
    assert (
        client.post(
            url, {"rule": "commendation", "subject_id": 999999, "reason": "x"}, format="json"
        ).status_code
        == 404
    )
    assert PointEntry.objects.count() == 0
    r = client.post(
        url,
        {"rule": "commendation", "subject_id": world.worker_a1.pk, "reason": "抢险表现突出"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["points"] == "5.0"
    # A grid worker may not.
    r = api_client(world.worker_a2).post(
        url,
        {"rule": "commendation", "subject_id": world.worker_a2.pk, "reason": "x"},
        format="json",
    )
    assert r.status_code == 403


def test_rules_are_changed_by_the_county_only(world):
    body = {
        "code": "flood_duty",
        "name": "防汛值守",
        "subject_kind": "user",
        "points": "3",
        "trigger": "manual",
    }
    assert (
        api_client(world.town_admin).post("/api/points/rules/", body, format="json").status_code
        == 403
    )
    county = api_client(world.county_admin)
    r = county.post("/api/points/rules/", body, format="json")
    assert r.status_code == 201, r.content
    rule = PointRule.objects.get(code="flood_duty")
    bad = county.post(
        "/api/points/rules/", {**body, "code": "x2", "trigger": "automatic"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["field"] == "event"
    r = county.patch(f"/api/points/rules/{rule.pk}/", {"points": "4"}, format="json")
    assert r.status_code == 200 and r.json()["points"] == "4.0"
    r = county.patch(f"/api/points/rules/{rule.pk}/", {"cap": "5"}, format="json")
    assert r.status_code == 400
