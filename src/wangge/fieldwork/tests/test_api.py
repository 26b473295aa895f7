"""/api/fieldwork/: the phone's patrol (start, points, findings, stop), visits, the daily
report and pledges, with token auth; strict input (400, never 500), scope (404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangge.fieldwork import services
from wangge.fieldwork.choices import VisitKind
from wangge.fieldwork.models import Patrol, Visit
from wangge.party.models import Need
from wangge.testing.api import api_client, ids

BASE = "/api/fieldwork"


def test_patrol_round_trip(fw):
    api = api_client(fw.worker)
    r = api.post(f"{BASE}/patrols/start/", {}, format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["area"] == fw.t.grid_a1.pk and r.json()["ended_at"] is None
    again = api.post(f"{BASE}/patrols/start/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
    now = timezone.now()
    points = [
        {
            "lat": 32.90 + i * 0.0005,
            "lng": 115.805,
            "time": (now + dt.timedelta(seconds=30 * i)).isoformat(),
        }
        for i in range(3)
    ]
    r = api.post(f"{BASE}/patrols/{pk}/points/", {"points": points}, format="json")
    assert r.status_code == 200 and r.json()["points"] == 3 and r.json()["distance_m"] > 100
    r = api.post(f"{BASE}/patrols/{pk}/findings/", {"description": "河道漂浮垃圾"}, format="json")
    assert r.status_code == 201 and r.json()["number"]
    r = api.post(f"{BASE}/patrols/{pk}/stop/", {"note": "正常"}, format="json")
    assert r.status_code == 200 and r.json()["ended_at"] and len(r.json()["findings"]) == 1
    twice = api.post(f"{BASE}/patrols/{pk}/stop/", {}, format="json")
    assert twice.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"points": []},
        {"points": "x"},
        {"points": [{"lat": 91, "lng": 0, "time": "2026-01-01T00:00:00Z"}]},
        {"points": [{"lat": 30, "lng": 120}]},
        {"points": [{"lat": 30, "lng": 120, "time": "yesterday"}]},
        {"points": [{"lat": 30, "lng": 120, "time": "2020-01-01T00:00:00Z"}]},
    ],
)
def test_bad_points_answer_400(fw, body):
    patrol = services.patrol_start(actor=fw.worker)
    r = api_client(fw.worker).post(f"{BASE}/patrols/{patrol.pk}/points/", body, format="json")
    assert r.status_code == 400, r.content
    assert Patrol.objects.get().point_count == 0


def test_patrol_scope(fw):
    patrol = services.patrol_start(actor=fw.worker)
    other = api_client(fw.worker_b)
    assert other.get(f"{BASE}/patrols/{patrol.pk}/").status_code == 404
    assert other.post(f"{BASE}/patrols/{patrol.pk}/stop/", {}, format="json").status_code == 404
    assert ids(other.get(f"{BASE}/patrols/")) == set()
    assert ids(api_client(fw.town).get(f"{BASE}/patrols/")) == {patrol.pk}
    r = api_client(fw.town).post(f"{BASE}/patrols/{patrol.pk}/stop/", {}, format="json")
    assert r.status_code == 403
    assert api_client(fw.chief).post(f"{BASE}/patrols/start/", {}, format="json").status_code == 403
    assert api_client().get(f"{BASE}/patrols/").status_code in (401, 403)


def test_visit_create_and_scope(fw):
    api = api_client(fw.worker)
    r = api.post(
        f"{BASE}/visits/",
        {"household": fw.h1.pk, "kind": VisitKind.HELP, "needs": ["代缴医保"], "notes": "入户"},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert len(r.json()["needs"]) == 1 and Need.objects.get().description == "代缴医保"
    for body in (
        {"household": fw.h4.pk, "kind": VisitKind.HELP},  # another grid: not a choice
        {"household": fw.h1.pk, "kind": "party"},
        {"household": fw.h1.pk, "kind": VisitKind.HELP, "needs": ["x" * 501]},
        {"household": fw.h1.pk, "kind": VisitKind.HELP, "needs": "not a list"},
        {"household": fw.h1.pk, "kind": VisitKind.HELP, "visited_at": "2000-01-01T00:00:00Z"},
    ):
        bad = api.post(f"{BASE}/visits/", body, format="json")
        assert bad.status_code == 400, (body, bad.content)
    assert Visit.objects.count() == 1 and Need.objects.count() == 1
    visit_pk = r.json()["id"]
    assert api_client(fw.worker_b).get(f"{BASE}/visits/{visit_pk}/").status_code == 404
    member = api_client(fw.member_user).post(
        f"{BASE}/visits/", {"household": fw.h2.pk, "kind": VisitKind.CALL_ON}, format="json"
    )
    assert member.status_code == 201 and member.json()["as_contact"] is True


def test_visit_list_query_count_is_flat(fw):
    api = api_client(fw.worker)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(f"{BASE}/visits/").status_code == 200
        return len(ctx.captured_queries)

    services.visit_record(actor=fw.worker, household=fw.h1, kind=VisitKind.HELP, needs=["a"])
    few = count()
    for i in range(10):
        services.visit_record(
            actor=fw.worker, household=fw.h2, kind=VisitKind.HELP, needs=[f"b{i}"]
        )
    assert count() <= few


def test_daily_report_save_and_read(fw):
    api = api_client(fw.worker)
    today = timezone.localdate().isoformat()
    r = api.post(
        f"{BASE}/reports/save/",
        {"day": today, "notes": "走访", "extra_tasks": 3, "submit": True},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "submitted" and r.json()["tasks"] == 3
    assert ids(api.get(f"{BASE}/reports/")) == {r.json()["id"]}
    assert api_client(fw.worker_b).get(f"{BASE}/reports/{r.json()['id']}/").status_code == 404
    for body in ({"day": "bad"}, {"day": today, "extra_tasks": 99}, {}):
        assert api.post(f"{BASE}/reports/save/", body, format="json").status_code == 400
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert api.post(f"{BASE}/reports/save/", {"day": tomorrow}, format="json").status_code == 400
    chief = api_client(fw.chief).post(f"{BASE}/reports/save/", {"day": today}, format="json")
    assert chief.status_code == 403


def test_pledge_sign(fw):
    campaign = services.campaign_create(
        actor=fw.town,
        area=fw.t.village_a,
        title="防汛",
        text="承诺",
        deadline=timezone.localdate(),
    )
    api = api_client(fw.worker)
    assert ids(api.get(f"{BASE}/pledges/")) == {campaign.pk}
    wrong = api.post(f"{BASE}/pledges/{campaign.pk}/sign/", {"signed_name": "别人"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["field"] == "signed_name"
    ok = api.post(f"{BASE}/pledges/{campaign.pk}/sign/", {"signed_name": "网格员甲"}, format="json")
    assert ok.status_code == 201
    again = api.post(
        f"{BASE}/pledges/{campaign.pk}/sign/", {"signed_name": "网格员甲"}, format="json"
    )
    assert again.status_code == 409
    other = api_client(fw.worker_b)
    assert (
        other.post(
            f"{BASE}/pledges/{campaign.pk}/sign/", {"signed_name": "网格员乙"}, format="json"
        ).status_code
        == 404
    )
