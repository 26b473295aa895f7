import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.supervision import services
from wangge.supervision.models import Inspection, Problem
from wangge.testing.api import api_client, ids
from wangge.testing.factories import user_with_post

pytestmark = pytest.mark.django_db


def test_inspection_create_and_list(territory, supervisor, supervisor_b, today):
    client = api_client(supervisor)
    r = client.post(
        "/api/supervision/inspections/",
        {
            "area": territory.village_a.pk,
            "inspected_on": today.isoformat(),
            "checks": ["reports_heard", "people_at_post"],
            "staff_expected": 4,
            "staff_present": 4,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert ids(client.get("/api/supervision/inspections/")) == {pk}
    assert ids(api_client(supervisor_b).get("/api/supervision/inspections/")) == set()
    assert api_client(supervisor_b).get(f"/api/supervision/inspections/{pk}/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"checks": []},
        {"checks": ["bogus"]},
        {"area": 2**40},
        {"inspected_on": "not a date"},
        {"staff_expected": 1, "staff_present": 2},
    ],
)
def test_bad_inspection_is_400(territory, supervisor, today, body):
    data = {
        "area": territory.village_a.pk,
        "inspected_on": today.isoformat(),
        "checks": ["reports_heard"],
        **body,
    }
    r = api_client(supervisor).post("/api/supervision/inspections/", data, format="json")
    assert r.status_code == 400, r.content
    assert not Inspection.objects.exists()


def test_out_of_scope_area_is_404(territory, supervisor_b, today):
    r = api_client(supervisor_b).post(
        "/api/supervision/inspections/",
        {
            "area": territory.village_a.pk,
            "inspected_on": today.isoformat(),
            "checks": ["reports_heard"],
        },
        format="json",
    )
    assert r.status_code == 404


def test_problem_loop_over_the_api(inspection, supervisor, chief_a, today):
    sup = api_client(supervisor)
    r = sup.post(
        "/api/supervision/problems/",
        {
            "inspection": inspection.pk,
            "description": "台账不全",
            "responsible": chief_a.pk,
            "deadline": (today + dt.timedelta(days=3)).isoformat(),
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    url = f"/api/supervision/problems/{pk}/"
    # Verifying an open problem: 409, nothing changed.
    r = sup.post(url + "verify/", {}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"
    resp = api_client(chief_a)
    assert pk in ids(resp.get("/api/supervision/problems/"))
    r = resp.post(url + "rectify/", {"rectification": "已补齐"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "rectified"
    assert resp.post(url + "verify/", {}, format="json").status_code == 403
    assert sup.post(url + "verify/", {"note": "ok"}, format="json").json()["state"] == "verified"
    r = sup.post(url + "cross-off/", {}, format="json")
    assert r.json()["state"] == "crossed_off"
    verbs = [e["verb"] for e in sup.get(url).json()["timeline"]]
    assert verbs == ["create", "rectify", "verify", "cross_off"]
    assert sup.post(url + "cross-off/", {}, format="json").status_code == 409


def test_problem_404_out_of_scope(problem, supervisor_b, chief_b):
    for user in (supervisor_b, chief_b):
        c = api_client(user)
        assert c.get(f"/api/supervision/problems/{problem.pk}/").status_code == 404
        assert (
            c.post(
                f"/api/supervision/problems/{problem.pk}/rectify/",
                {"rectification": "x"},
                format="json",
            ).status_code
            == 404
        )
    problem.refresh_from_db()
    assert problem.state == "open"


def test_problem_bad_input(inspection, supervisor, chief_b, today):
    c = api_client(supervisor)
    base = {"inspection": inspection.pk, "description": "x", "deadline": today.isoformat()}
    assert (
        c.post("/api/supervision/problems/", {**base, "responsible": chief_b.pk}, format="json")
    ).status_code == 400
    assert (
        c.post("/api/supervision/problems/", {**base, "responsible": 2**40}, format="json")
    ).status_code == 400
    assert (
        c.post(
            "/api/supervision/problems/",
            {"description": "x", "responsible": chief_b.pk, "deadline": today.isoformat()},
            format="json",
        )
    ).status_code == 400
    assert not Problem.objects.exists()


def test_problem_list_queries_flat(territory, supervisor, chief_a, inspection, today):
    c = api_client(supervisor)

    def add(n):
        for i in range(n):
            services.problem_create(
                actor=supervisor,
                inspection=inspection,
                description=f"p{i}",
                responsible=chief_a,
                deadline=today + dt.timedelta(days=2),
            )

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert c.get("/api/supervision/problems/").status_code == 200
    add(20)
    with CaptureQueriesContext(connection) as many:
        assert c.get("/api/supervision/problems/").status_code == 200
    assert len(many) <= len(few)


def test_bulletins_api_scope(territory, town_admin, monkeypatch):
    import wangge.scoring.selectors as sel

    monkeypatch.setattr(
        sel,
        "bulletin_sections",
        lambda **kw: {"ranking": [], "formula": "", "praise": [], "criticism": []},
        raising=False,
    )
    b = services.bulletin_generate(
        actor=town_admin, area=territory.town, kind="quarterly", day=dt.date(2026, 8, 1)
    )
    worker = user_with_post(territory.grid_a1, "grid_worker")
    assert ids(api_client(town_admin).get("/api/supervision/bulletins/")) == {b.pk}
    assert ids(api_client(worker).get("/api/supervision/bulletins/")) == set()
    services.bulletin_review(actor=town_admin, bulletin=b)
    services.bulletin_publish(actor=town_admin, bulletin=b)
    assert ids(api_client(worker).get("/api/supervision/bulletins/")) == {b.pk}
    detail = api_client(worker).get(f"/api/supervision/bulletins/{b.pk}/").json()
    assert detail["content"]["area"]["name"] == "程集镇"
