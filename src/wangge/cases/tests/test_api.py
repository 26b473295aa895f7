import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from wangge.cases import services
from wangge.cases.models import Case

from .conftest import IN_A1, IN_B2

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(**extra):
    data = {
        "category": "environment",
        "description": "路边垃圾没人清理",
        "lat": IN_A1[0],
        "lng": IN_A1[1],
        "reporter_phone": "13800138000",
    }
    data.update(extra)
    return data


def test_create_is_idempotent(world):
    c = api(world.worker_a1)
    r1 = c.post("/api/cases/", body(), format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert r1.status_code == 201, r1.content
    r2 = c.post("/api/cases/", body(), format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert r2.status_code == 200 and r2.json()["id"] == r1.json()["id"]
    r3 = c.post(
        "/api/cases/", body(description="别的事"), format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    assert r3.status_code == 400 and r3.json()["code"] == "idempotency_conflict"
    assert Case.objects.count() == 1
    assert r1.json()["source"] == "api"
    assert r1.json()["timeline"][0]["verb"] == "report"


def test_create_errors(world):
    c = api(world.worker_a1)
    r = c.post("/api/cases/", body(lat=40.0, lng=116.4), format="json")
    assert r.status_code == 400 and r.json()["field"] == "location"
    r = c.post("/api/cases/", body(category="nope"), format="json")
    assert r.status_code == 400 and r.json()["field"] == "category"
    r = c.post("/api/cases/", body(source="qr"), format="json")
    assert r.status_code == 400
    r = api(world.outsider).post("/api/cases/", body(), format="json")
    assert r.status_code == 403
    assert APIClient().post("/api/cases/", body(), format="json").status_code in (401, 403)
    assert not Case.objects.exists()


def test_scope_list_and_detail(world, report):
    mine = report()
    other = report(point=IN_B2)
    r = api(world.worker_a1).get("/api/cases/")
    assert [x["id"] for x in r.json()["results"]] == [mine.pk]
    assert api(world.worker_a1).get(f"/api/cases/{other.pk}/").status_code == 404
    assert api(world.worker_a1).post(f"/api/cases/{other.pk}/accept/").status_code == 404
    town = api(world.town_admin).get("/api/cases/").json()
    assert town["count"] == 2
    detail = api(world.chief_a).get(f"/api/cases/{mine.pk}/").json()
    assert detail["reporter_phone"] == "13800138000"
    assert detail["timeline"][0]["verb"] == "report"


def test_filters(world, report, clock):
    a = report()
    b = report(point=IN_B2, category="flood")
    c = api(world.town_admin)
    ids = lambda r: sorted(x["id"] for x in r.json()["results"])  # noqa: E731
    assert ids(c.get("/api/cases/", {"area": world.t.village_b.pk})) == [b.pk]
    assert ids(c.get("/api/cases/", {"category": "flood"})) == [b.pk]
    assert ids(c.get("/api/cases/", {"state": "open"})) == sorted([a.pk, b.pk])
    assert ids(c.get("/api/cases/", {"state": "closed"})) == []
    assert ids(c.get("/api/cases/", {"overdue": "true"})) == sorted([a.pk, b.pk])  # 2025 dates
    assert ids(c.get("/api/cases/", {"q": a.number})) == [a.pk]


def test_actions_and_conflicts(world, report):
    case = report()
    w = api(world.worker_a1)
    r = w.post(f"/api/cases/{case.pk}/resolve/", {"resolution": "x"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"
    assert w.post(f"/api/cases/{case.pk}/accept/").json()["state"] == "accepted"
    r = w.post(f"/api/cases/{case.pk}/note/", {"note": "到场"}, format="json")
    assert r.json()["state"] == "in_progress"
    r = w.post(f"/api/cases/{case.pk}/escalate/", {"reason": ""}, format="json")
    assert r.status_code == 400
    r = api(world.chief_a).post(
        f"/api/cases/{case.pk}/dispatch/", {"department": world.department.pk}, format="json"
    )
    assert r.status_code == 200 and r.json()["department"] == world.department.pk
    d = api(world.dept_staff)
    assert [x["id"] for x in d.get("/api/cases/").json()["results"]] == [case.pk]
    assert d.post(f"/api/cases/{case.pk}/report-in/").status_code == 200
    r = d.post(f"/api/cases/{case.pk}/resolve/", {"resolution": "已处理"}, format="json")
    assert r.json()["state"] == "resolved"
    r = api(world.chief_a).post(
        f"/api/cases/{case.pk}/return-visit/", {"satisfaction": "satisfied"}, format="json"
    )
    assert r.status_code == 200
    r = api(world.chief_a).post(f"/api/cases/{case.pk}/close/")
    assert r.json()["state"] == "closed"
    verbs = [a["verb"] for a in r.json()["timeline"]]
    assert verbs == [
        "report",
        "accept",
        "note",
        "dispatch",
        "report_in",
        "resolve",
        "return_visit",
        "close",
    ]


def test_department_staff_see_only_dispatched(world, report):
    report()
    assert api(world.dept_staff).get("/api/cases/").json()["count"] == 0


def test_merge_via_api(world, report):
    a = report()
    b = report()
    other = report(point=IN_B2)
    c = api(world.chief_a)
    assert c.post(f"/api/cases/{b.pk}/merge/", {"into": other.pk}, format="json").status_code == 400
    r = c.post(f"/api/cases/{b.pk}/merge/", {"into": a.pk}, format="json")
    assert r.status_code == 200 and r.json()["merged_into"] == a.pk


def test_list_query_count_is_constant(world, report):
    for _ in range(3):
        report()
    c = api(world.town_admin)
    c.get("/api/cases/")  # warm-up: per-process caches
    with CaptureQueriesContext(connection) as few:
        c.get("/api/cases/")
    for _ in range(10):
        report(point=IN_B2)
    case = Case.objects.first()
    services.case_accept(case=case, actor=world.town_admin)
    with CaptureQueriesContext(connection) as many:
        r = c.get("/api/cases/")
    assert r.json()["count"] == 13
    assert len(many) == len(few)


def test_schema_builds(world, client):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--file", "/dev/null")


def test_kpis_endpoint(world, report, clock):
    case = report(at=timezone.now())
    services.case_accept(case=case, actor=world.worker_a1)
    r = api(world.chief_a).get("/api/cases/kpis/")
    assert r.status_code == 200, r.content
    assert r.json()["area"] == world.t.village_a.pk and r.json()["received"] == 1
    r = api(world.chief_a).get("/api/cases/kpis/", {"area": world.t.village_b.pk})
    assert r.status_code == 404
    r = api(world.town_admin).get("/api/cases/kpis/", {"area": world.t.village_b.pk})
    assert r.status_code == 200 and r.json()["received"] == 0
    assert api(world.dept_staff).get("/api/cases/kpis/").status_code == 404


def test_kpis_endpoint_ranks_the_areas_one_level_down(world, report, clock):
    a = report()
    services.case_accept(case=a, actor=world.worker_a1)
    services.case_resolve(case=a, actor=world.worker_a1, resolution="ok")
    r = api(world.town_admin).get(
        "/api/cases/kpis/", {"area": world.t.town.pk, "start": "2025-09-01", "end": "2025-09-30"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["received"] == 1 and body["median_respond_hours"] is not None
    assert [row["name"] for row in body["ranking"]] == ["程集村", "王庄村"]
    assert body["ranking"][0]["rank"] == 1 and body["ranking"][1]["rank"] is None


def test_notifications_endpoint(world, report, django_capture_on_commit_callbacks):
    from wangge.cases.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        report()
        report()
    c = api(world.worker_a1)
    r = c.get("/api/cases/notifications/", {"unread": "true"})
    assert r.status_code == 200
    rows = r.json()["results"] if isinstance(r.json(), dict) else r.json()
    assert len(rows) == 2 and rows[0]["verb"] == "assigned" and rows[0]["case_number"]
    r = c.post(f"/api/cases/notifications/{rows[0]['id']}/read/")
    assert r.status_code == 200 and r.json()["read_at"]
    other = Notification.objects.get(pk=rows[1]["id"])
    assert api(world.chief_a).post(f"/api/cases/notifications/{other.pk}/read/").status_code == 404
    assert c.post("/api/cases/notifications/read-all/").json() == {"read": 1}
    assert api(world.chief_a).get("/api/cases/notifications/").status_code == 200


def test_an_acknowledged_report_answers_202_with_its_receipt(world):
    c = api(world.worker_a1)
    r = c.post(
        "/api/cases/",
        body(),
        format="json",
        HTTP_IDEMPOTENCY_KEY="phone-1",
        HTTP_PREFER="respond-async",
    )
    assert r.status_code == 202, r.content
    data = r.json()
    assert data["status"] == "pending" and data["case"] is None and data["number"] is None
    assert r["Location"] == data["url"] == f"/api/cases/receipts/{data['tracking_code']}/"
    assert r["Preference-Applied"] == "respond-async"
    assert not Case.objects.exists()

    # The phone retries on a bad network: the same receipt, nothing new.
    again = c.post(
        "/api/cases/",
        body(),
        format="json",
        HTTP_IDEMPOTENCY_KEY="phone-1",
        HTTP_PREFER="respond-async",
    )
    assert again.status_code == 202 and again.json()["tracking_code"] == data["tracking_code"]

    assert c.get(data["url"]).json()["status"] == "pending"
    services.intake_process()
    done = c.get(data["url"]).json()
    case = Case.objects.get()
    assert (done["status"], done["case"], done["number"]) == ("done", case.pk, case.number)
    assert case.tracking_code == data["tracking_code"]
    assert c.get(f"/api/cases/{case.pk}/").json()["reported_at"] == data["received_at"]
    # A retry after it was taken in still answers 202, now with the case.
    late = c.post(
        "/api/cases/",
        body(),
        format="json",
        HTTP_IDEMPOTENCY_KEY="phone-1",
        HTTP_PREFER="respond-async",
    )
    assert late.status_code == 202 and late.json()["case"] == case.pk
    assert Case.objects.count() == 1


def test_an_acknowledged_report_refuses_bad_input_at_once(world):
    c = api(world.worker_a1)
    async_ = {"HTTP_PREFER": "respond-async"}
    r = c.post("/api/cases/", body(lat=40.0, lng=116.4), format="json", **async_)
    assert r.status_code == 400 and r.json()["field"] == "location"
    r = c.post("/api/cases/", body(category="nope"), format="json", **async_)
    assert r.status_code == 400 and r.json()["field"] == "category"
    r = c.post("/api/cases/", body(description="x" * 4001), format="json", **async_)
    assert r.status_code == 400 and r.json()["field"] == "description"
    assert api(world.outsider).post("/api/cases/", body(), format="json", **async_).status_code == (
        403
    )
    from wangge.cases.models import IntakeReceipt

    assert not IntakeReceipt.objects.exists()


def test_a_receipt_is_seen_by_its_sender_and_by_those_who_see_its_case(world):
    r = api(world.worker_a1).post("/api/cases/", body(), format="json", HTTP_PREFER="respond-async")
    url = r.json()["url"]
    assert api(world.outsider).get(url).status_code == 404  # pending: only the sender
    assert api(world.chief_a).get(url).status_code == 404
    services.intake_process()
    assert api(world.chief_a).get(url).json()["status"] == "done"  # now its case is in scope
    assert api(world.outsider).get(url).status_code == 404
    assert api(world.worker_a1).get("/api/cases/receipts/no-such-code/").status_code == 404
