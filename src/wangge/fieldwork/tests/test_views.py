"""Pages: the worker's phone home, patrol, visit form (picker scoped to my grids), daily
report, compliance per day and month with xlsx export, coverage, norms and pledges. Out of
scope answers 404; list pages keep their query counts flat as rows grow."""

from __future__ import annotations

import datetime as dt
import io
import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from wangge.accounts.choices import Role
from wangge.fieldwork import services
from wangge.fieldwork.choices import VisitKind
from wangge.fieldwork.models import DailyReport, Patrol, Pledge, Visit
from wangge.party.models import Need
from wangge.people.models import Tag
from wangge.testing.factories import make_household, user_with_post


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
    return len(ctx.captured_queries)


def test_home_of_a_grid_worker(client, fw):
    client.force_login(fw.worker)
    response = client.get(reverse("fieldwork:home"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["open_patrol"] is None and ctx["patrols_today"] == []
    assert [h.number for h in ctx["due"]] == ["A1-001"]  # the key household of my grid only
    assert [row["key"] for row in ctx["draft"].progress] == [
        "patrols",
        "visit_kinds",
        "tasks",
        "hours",
    ]
    assert reverse("fieldwork:patrol_start") in response.content.decode()


def test_home_query_count_stays_flat(client, fw):
    client.force_login(fw.worker)
    url = reverse("fieldwork:home")
    hardship = Tag.objects.get(code="hardship")
    few = _count(client, url)
    for i in range(15):
        make_household(fw.t.grid_a1, number=f"A1-1{i:02d}", tags=[hardship])
        p = services.patrol_start(actor=fw.worker)
        services.patrol_stop(actor=fw.worker, patrol=p)
    many = _count(client, url)
    assert many <= few + 1, (few, many)


def test_member_home_lists_contact_households(client, fw):
    client.force_login(fw.member_user)
    response = client.get(reverse("fieldwork:home"))
    assert [h.number for h in response.context["member_households"]] == ["A1-002", "A2-001"]
    assert "due" not in response.context


def test_patrol_start_stop_from_the_phone(client, fw):
    client.force_login(fw.worker)
    response = client.post(reverse("fieldwork:patrol_start"))
    patrol = Patrol.objects.get()
    assert response.url == reverse("fieldwork:patrol_detail", args=[patrol.pk])
    assert client.get(response.url).status_code == 200
    client.post(reverse("fieldwork:patrol_stop", args=[patrol.pk]))
    patrol.refresh_from_db()
    ended = patrol.ended_at
    assert ended is not None
    response = client.post(reverse("fieldwork:patrol_stop", args=[patrol.pk]), follow=True)
    from django.utils import translation

    with translation.override("zh-hans"):
        expected = translation.gettext("This patrol has already been stopped.")
    assert [str(m) for m in response.context["messages"]][-1] == expected
    patrol.refresh_from_db()
    assert patrol.ended_at == ended


def test_someone_elses_patrol_is_not_found(client, fw):
    patrol = services.patrol_start(actor=fw.worker)
    client.force_login(fw.worker_b)
    assert client.get(reverse("fieldwork:patrol_detail", args=[patrol.pk])).status_code == 404
    assert client.post(reverse("fieldwork:patrol_stop", args=[patrol.pk])).status_code == 404
    url = reverse("fieldwork:patrol_points", args=[patrol.pk])
    assert client.post(url, "{}", content_type="application/json").status_code == 404
    patrol.refresh_from_db()
    assert patrol.is_open
    # The town office sees it (read), but cannot stop it.
    client.force_login(fw.town)
    assert client.get(reverse("fieldwork:patrol_detail", args=[patrol.pk])).status_code == 200
    client.post(reverse("fieldwork:patrol_stop", args=[patrol.pk]))
    patrol.refresh_from_db()
    assert patrol.is_open


def test_points_endpoint(client, fw):
    patrol = services.patrol_start(actor=fw.worker, at=timezone.now() - dt.timedelta(minutes=5))
    client.force_login(fw.worker)
    url = reverse("fieldwork:patrol_points", args=[patrol.pk])
    now = timezone.now().isoformat()
    ok = client.post(
        url,
        json.dumps({"points": [{"lat": 32.9, "lng": 115.8, "time": now}]}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["points"] == 1
    for body in (
        "not json",
        json.dumps([1]),
        json.dumps({"points": [{"lat": 99, "lng": 1, "time": now}]}),
    ):
        bad = client.post(url, body, content_type="application/json")
        assert bad.status_code == 400, body
    assert Patrol.objects.get().point_count == 1
    later = (timezone.now() + dt.timedelta(seconds=30)).isoformat()
    client.post(
        url,
        json.dumps({"points": [{"lat": 32.901, "lng": 115.801, "time": later}]}),
        content_type="application/json",
    )
    page = client.get(reverse("fieldwork:patrol_detail", args=[patrol.pk]))
    line = [f for f in page.context["map_data"]["features"] if f["role"] == "self"][0]
    assert line["geometry"] == {
        "type": "LineString",
        "coordinates": [[115.8, 32.9], [115.801, 32.901]],
    }


def test_finding_from_the_patrol_page(client, fw):
    patrol = services.patrol_start(actor=fw.worker)
    client.force_login(fw.worker)
    client.post(reverse("fieldwork:patrol_finding", args=[patrol.pk]), {"description": "路灯损坏"})
    assert patrol.findings.get().case.description == "路灯损坏"


def test_visit_form_picker_is_scoped_and_records(client, fw):
    client.force_login(fw.worker)
    url = reverse("fieldwork:visit_new")
    response = client.get(url)
    numbers = {h.number for h in response.context["form"].fields["household"].queryset}
    assert numbers == {"A1-001", "A1-002"}
    response = client.post(url, {"household": fw.h4.pk, "kind": VisitKind.ACQUAINT})
    assert response.status_code == 200 and "household" in response.context["form"].errors
    assert not Visit.objects.exists()
    response = client.post(
        url,
        {
            "household": fw.h1.pk,
            "kind": VisitKind.HELP,
            "notes": "看望",
            "needs": "代购药品\n修缮院墙",
        },
    )
    visit = Visit.objects.get()
    assert response.url == reverse("fieldwork:visit_detail", args=[visit.pk])
    assert Need.objects.filter(household=fw.h1).count() == 2
    client.force_login(fw.worker_b)
    assert client.get(response.url).status_code == 404


def test_member_visit_form_offers_contact_households(client, fw):
    client.force_login(fw.member_user)
    response = client.get(reverse("fieldwork:visit_new"))
    form = response.context["form"]
    assert {h.number for h in form.fields["household"].queryset} == {"A1-002", "A2-001"}
    assert "plan_situation" not in form.fields


def test_visit_list_query_count_stays_flat(client, fw):
    client.force_login(fw.worker)
    url = reverse("fieldwork:visit_list")
    services.visit_record(actor=fw.worker, household=fw.h1, kind=VisitKind.HELP, needs=["x"])
    few = _count(client, url)
    for i in range(12):
        services.visit_record(
            actor=fw.worker, household=fw.h2, kind=VisitKind.CALL_ON, needs=[f"n{i}"]
        )
    assert _count(client, url) <= few


def test_daily_report_page(client, fw):
    client.force_login(fw.worker)
    url = reverse("fieldwork:report")
    assert client.get(url).status_code == 200
    response = client.post(url, {"extra_tasks": 2, "notes": "入户宣传", "submit": "1"})
    report = DailyReport.objects.get()
    assert report.status == "submitted" and report.extra_tasks == 2
    assert response.url == reverse("fieldwork:report_day", args=[timezone.localdate().isoformat()])
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert client.get(reverse("fieldwork:report_day", args=[tomorrow])).status_code == 404
    assert client.get(reverse("fieldwork:report_day", args=["2026-13-40"])).status_code == 404
    client.force_login(fw.chief)
    assert client.get(url).status_code == 404


def _last_workday() -> dt.date:
    from wangge.fieldwork.compliance import is_workday

    day = timezone.localdate() - dt.timedelta(days=1)
    while not is_workday(day):
        day -= dt.timedelta(days=1)
    return day


def _close_yesterday(fw):
    day = _last_workday()
    services.close_day(day=day)
    return day


def test_compliance_day_scope_filter_and_export(client, fw):
    day = _close_yesterday(fw)
    client.force_login(fw.worker)
    assert client.get(reverse("fieldwork:compliance_day")).status_code == 404
    client.force_login(fw.chief)
    response = client.get(reverse("fieldwork:compliance_day"), {"day": day.isoformat()})
    assert [r.worker for r in response.context["rows"]] == [fw.worker]  # village A only
    client.force_login(fw.town)
    response = client.get(reverse("fieldwork:compliance_day"), {"day": day.isoformat()})
    assert {r.worker for r in response.context["rows"]} == {fw.worker, fw.worker_b}
    response = client.get(
        reverse("fieldwork:compliance_day"), {"day": day.isoformat(), "area": fw.t.village_b.pk}
    )
    assert [r.worker for r in response.context["rows"]] == [fw.worker_b]
    response = client.get(
        reverse("fieldwork:compliance_day"), {"day": day.isoformat(), "format": "xlsx"}
    )
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][3] == "网格员" and len(rows) == 3
    assert {r[3] for r in rows[1:]} == {"网格员甲", "网格员乙"}


def test_compliance_today_is_live(client, fw):
    p = services.patrol_start(actor=fw.worker)
    services.patrol_stop(actor=fw.worker, patrol=p)
    client.force_login(fw.town)
    response = client.get(
        reverse("fieldwork:compliance_day"), {"day": timezone.localdate().isoformat()}
    )
    mine = next(r for r in response.context["rows"] if r.worker == fw.worker)
    assert mine.stats.patrols == 1 and not mine.closed


def test_compliance_views_query_counts_stay_flat(client, fw):
    client.force_login(fw.town)
    yesterday = _last_workday()
    day_url = reverse("fieldwork:compliance_day") + f"?day={yesterday.isoformat()}"
    month_url = reverse("fieldwork:compliance_month") + f"?month={yesterday:%Y-%m}"
    cover_url = reverse("fieldwork:coverage")
    services.close_day(day=yesterday)
    counts = [_count(client, u) for u in (day_url, month_url, cover_url)]
    for i in range(10):
        grid = fw.t.grids[i % 4]
        user_with_post(grid, Role.GRID_WORKER, full_name=f"网格员{i}")
        make_household(grid, number=f"X{i:03d}")
    DailyReport.objects.all().delete()
    from wangge.accounts.models import Post

    Post.objects.update(start_date=dt.date(2026, 1, 1))
    services.close_day(day=yesterday)
    after = [_count(client, u) for u in (day_url, month_url, cover_url)]
    assert all(a <= b + 1 for a, b in zip(after, counts, strict=True)), (counts, after)


def test_compliance_month_and_export(client, fw):
    day = _close_yesterday(fw)
    client.force_login(fw.town)
    response = client.get(reverse("fieldwork:compliance_month"), {"month": f"{day:%Y-%m}"})
    rows = {r.worker: r for r in response.context["rows"]}
    expected_required = int(DailyReport.objects.get(worker=fw.worker).required)
    assert rows[fw.worker].days == 1 and rows[fw.worker].required == expected_required
    assert rows[fw.worker].compliant == 0
    response = client.get(
        reverse("fieldwork:compliance_month"), {"month": f"{day:%Y-%m}", "format": "xlsx"}
    )
    ws = load_workbook(io.BytesIO(response.content)).active
    assert len(list(ws.iter_rows(values_only=True))) == 3
    bad = client.get(reverse("fieldwork:compliance_month"), {"month": "2026-99"})
    assert bad.status_code == 200 and bad.context["form"].errors


def test_coverage_matches_a_recount(client, fw):
    services.visit_record(actor=fw.worker, household=fw.h1, kind=VisitKind.HELP)
    services.visit_record(actor=fw.worker, household=fw.h1, kind=VisitKind.CALL_ON)
    client.force_login(fw.town)
    rows = {r.village: r for r in client.get(reverse("fieldwork:coverage")).context["rows"]}
    a, b = rows[fw.t.village_a], rows[fw.t.village_b]
    assert (a.households, a.key_households, a.visited, a.key_visited, a.visits) == (3, 1, 1, 1, 2)
    assert (b.households, b.key_households, b.visited, b.visits) == (1, 1, 0, 0)
    assert a.key_rate == 100.0
    client.force_login(fw.chief)
    assert [r.village for r in client.get(reverse("fieldwork:coverage")).context["rows"]] == [
        fw.t.village_a
    ]


def test_norms_page(client, fw):
    client.force_login(fw.chief)
    url = reverse("fieldwork:norms")
    response = client.post(
        url, {"area": fw.t.village_a.pk, "patrols": 2, "visit_kinds": 2, "tasks": 3, "hours": "7.5"}
    )
    assert response.status_code == 302
    response = client.post(
        url, {"area": fw.t.village_b.pk, "patrols": 2, "visit_kinds": 2, "tasks": 3, "hours": "7.5"}
    )
    assert response.status_code == 200 and response.context["form"].errors  # not in my choices
    from wangge.fieldwork.models import DailyNorm

    assert list(DailyNorm.objects.values_list("area_id", "hours")) == [(fw.t.village_a.pk, 7.5)]


def test_pledge_pages(client, fw):
    client.force_login(fw.town)
    deadline = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("fieldwork:campaign_new"),
        {"area": fw.t.town.pk, "title": "防汛责任承诺书", "text": "坚守岗位", "deadline": deadline},
    )
    campaign_url = response.url
    client.force_login(fw.worker)
    home = client.get(reverse("fieldwork:home"))
    assert [c.title for c in home.context["to_sign"]] == ["防汛责任承诺书"]
    client.post(campaign_url, {"signed_name": "别人"})
    assert not Pledge.objects.exists()
    client.post(campaign_url, {"signed_name": "网格员甲"})
    assert Pledge.objects.get().worker == fw.worker
    client.force_login(fw.town)
    page = client.get(campaign_url, {"show": "unsigned"})
    assert [u for u in page.context["roster"].object_list] == [fw.worker_b]
    assert page.context["signed_count"] == 1
    client.force_login(fw.worker)
    assert client.get(reverse("fieldwork:campaign_new")).status_code == 404


def test_other_lists_keep_query_counts_flat(client, fw):
    urls = [
        reverse("fieldwork:patrol_list"),
        reverse("fieldwork:report_list"),
        reverse("fieldwork:campaign_list"),
        reverse("fieldwork:visits_due"),
    ]
    client.force_login(fw.worker)
    hardship = Tag.objects.get(code="hardship")
    deadline = timezone.localdate() + dt.timedelta(days=5)

    def grow(start, n):
        for i in range(start, start + n):
            p = services.patrol_start(actor=fw.worker)
            services.patrol_stop(actor=fw.worker, patrol=p)
            services.report_save(actor=fw.worker, day=timezone.localdate() - dt.timedelta(days=i))
            services.campaign_create(
                actor=fw.town, area=fw.t.town, title=f"承诺{i}", text="t", deadline=deadline
            )
            make_household(fw.t.grid_a1, number=f"A1-9{i:02d}", tags=[hardship])

    grow(0, 1)
    before = [_count(client, u) for u in urls]
    grow(1, 8)
    after = [_count(client, u) for u in urls]
    assert after == before, (before, after)
