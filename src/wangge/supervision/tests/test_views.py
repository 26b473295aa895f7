import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from wangge.supervision import selectors, services
from wangge.supervision.choices import ProblemState
from wangge.supervision.models import Inspection, Problem
from wangge.testing.factories import make_area, user_with_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_town(territory):
    town = make_area(territory.county, "袁集镇", "341204101000")
    village = make_area(town, "袁集村", "341204101201")
    return town, village


@pytest.fixture
def other_problem(other_town, today):
    town, village = other_town
    sup = user_with_post(town, "supervisor")
    chief = user_with_post(village, "village_grid_chief")
    insp = services.inspection_record(
        actor=sup, area=village, inspected_on=today, checks=["ledgers_checked"]
    )
    return services.problem_create(
        actor=sup,
        inspection=insp,
        description="外镇问题",
        responsible=chief,
        deadline=today + dt.timedelta(days=3),
    )


@pytest.fixture
def scoring(monkeypatch):
    import wangge.scoring.selectors as sel

    monkeypatch.setattr(
        sel,
        "bulletin_sections",
        lambda **kw: {"ranking": [], "formula": "F", "praise": [], "criticism": []},
        raising=False,
    )


def test_index_lists_my_problems_and_those_to_verify(client, problem, chief_a, supervisor):
    client.force_login(chief_a)
    page = client.get("/supervision/").content.decode()
    assert "走访台账记录不全" in page
    services.problem_rectify(actor=chief_a, problem=problem, rectification="已补")
    client.force_login(supervisor)
    page = client.get("/supervision/").content.decode()
    assert "走访台账记录不全" in page


def test_people_without_supervision_see_only_their_own(client, territory, problem):
    worker = user_with_post(territory.grid_a1, "grid_worker")
    client.force_login(worker)
    page = client.get("/supervision/").content.decode()
    assert "走访台账" not in page and "/supervision/inspections/" not in page
    assert "走访台账" not in client.get("/supervision/problems/").content.decode()
    assert client.get("/supervision/inspections/").status_code == 404
    assert client.get("/supervision/statistics/").status_code == 404
    assert client.get(f"/supervision/problems/{problem.pk}/").status_code == 404


def test_reminder_shows_on_my_problems(client, problem, supervisor, chief_a):
    services.problem_follow_up(actor=supervisor, problem=problem, note="请抓紧", remind=True)
    client.force_login(chief_a)
    page = client.get("/supervision/").content.decode()
    assert "badge warn" in page


def test_inspection_form_records_and_adds_problems(client, territory, supervisor, chief_a, today):
    client.force_login(supervisor)
    assert client.get("/supervision/inspections/new/").status_code == 200
    response = client.post(
        "/supervision/inspections/new/",
        {
            "area": territory.village_a.pk,
            "inspected_on": today.isoformat(),
            "checks": ["reports_heard", "people_at_post"],
            "staff_expected": 5,
            "staff_present": 3,
            "notes": "两人不在岗",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    insp = Inspection.objects.get()
    assert insp.staff_present == 3
    response = client.post(
        f"/supervision/inspections/{insp.pk}/",
        {
            "description": "两名网格员未在岗",
            "responsible": chief_a.pk,
            "deadline": (today + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert Problem.objects.get().inspection == insp


def test_bad_inspection_form_shows_message_and_saves_nothing(client, territory, supervisor, today):
    client.force_login(supervisor)
    response = client.post(
        "/supervision/inspections/new/",
        {
            "area": territory.village_a.pk,
            "inspected_on": today.isoformat(),
            "checks": ["reports_heard"],
            "staff_expected": 2,
            "staff_present": 3,
        },
    )
    assert response.status_code == 400
    assert not Inspection.objects.exists()


def test_problem_actions_through_the_pages(client, problem, chief_a, supervisor):
    client.force_login(chief_a)
    page = client.get(f"/supervision/problems/{problem.pk}/").content.decode()
    assert "rectification" in page
    client.post(f"/supervision/problems/{problem.pk}/rectify/", {"rectification": "已补齐"})
    problem.refresh_from_db()
    assert problem.state == ProblemState.RECTIFIED
    # The responsible person cannot verify: an error message, nothing changed.
    client.post(f"/supervision/problems/{problem.pk}/verify/", {})
    problem.refresh_from_db()
    assert problem.state == ProblemState.RECTIFIED
    client.force_login(supervisor)
    client.post(f"/supervision/problems/{problem.pk}/reject/", {"reason": "不全"})
    problem.refresh_from_db()
    assert problem.state == ProblemState.OPEN
    client.post(f"/supervision/problems/{problem.pk}/follow-up/", {"note": "督办", "remind": "on"})
    page = client.get(f"/supervision/problems/{problem.pk}/").content.decode()
    assert "督办" in page and "不全" in page


def test_out_of_scope_answers_404(client, problem, other_problem, supervisor_b, territory):
    client.force_login(supervisor_b)  # supervises village B only
    assert client.get(f"/supervision/problems/{problem.pk}/").status_code == 404
    assert client.get(f"/supervision/inspections/{problem.inspection_id}/").status_code == 404
    assert client.post(f"/supervision/problems/{problem.pk}/verify/", {}).status_code == 404
    page = client.get("/supervision/problems/").content.decode()
    assert "走访台账" not in page and "外镇问题" not in page


def test_problem_list_only_subtree(client, problem, other_problem, supervisor):
    client.force_login(supervisor)
    page = client.get("/supervision/problems/").content.decode()
    assert "走访台账" in page and "外镇问题" not in page
    assert client.get(f"/supervision/problems/{other_problem.pk}/").status_code == 404


def _make_problems(n, supervisor, chief, area, today):
    insp = services.inspection_record(
        actor=supervisor, area=area, inspected_on=today, checks=["reports_heard"]
    )
    for i in range(n):
        services.problem_create(
            actor=supervisor,
            inspection=insp,
            description=f"问题{i}",
            responsible=chief,
            deadline=today + dt.timedelta(days=i + 1),
        )


@pytest.mark.parametrize(
    "url", ["/supervision/problems/", "/supervision/", "/supervision/inspections/"]
)
def test_list_queries_stay_flat(client, territory, supervisor, chief_a, today, url):
    client.force_login(supervisor)
    _make_problems(2, supervisor, chief_a, territory.village_a, today)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _make_problems(25, supervisor, chief_a, territory.village_a, today)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) <= len(few)


def test_statistics_page_and_recount(client, territory, supervisor, chief_a, problem, today):
    from wangge.supervision import periods

    services.problem_rectify(actor=chief_a, problem=problem, rectification="x")
    services.problem_verify(actor=supervisor, problem=problem)
    services.problem_cross_off(actor=supervisor, problem=problem)
    services.item_create(actor=supervisor, area=territory.town, title="在岗", period_kind="quarter")
    start, end = periods.quarter_bounds(today)
    stats = selectors.statistics(area=territory.town, start=start, end=end)
    assert stats["total"] == selectors.recount_statistics(area=territory.town, start=start, end=end)
    assert stats["total"]["inspections"] == 1
    assert stats["total"]["found"] == 1 and stats["total"]["crossed_off"] == 1
    by_name = {r["area"].name: r for r in stats["rows"]}
    assert by_name["程集村"]["found"] == 1 and by_name["王庄村"]["found"] == 0
    client.force_login(supervisor)
    response = client.get(
        "/supervision/statistics/",
        {"area": territory.town.pk, "quarter": periods.quarter_label(today)},
    )
    assert response.status_code == 200
    assert "程集村" in response.content.decode()


def test_bulletin_archive_scope(client, territory, town_admin, other_town, scoring):
    chief = user_with_post(territory.village_a, "village_grid_chief")
    b = services.bulletin_generate(
        actor=town_admin, area=territory.town, kind="biweekly", day=dt.date(2026, 11, 4)
    )
    outsider = user_with_post(other_town[1], "village_grid_chief")
    client.force_login(chief)
    # A draft is not shown to the villages.
    assert client.get(f"/supervision/bulletins/{b.pk}/").status_code == 404
    services.bulletin_review(actor=town_admin, bulletin=b)
    services.bulletin_publish(actor=town_admin, bulletin=b)
    assert client.get(f"/supervision/bulletins/{b.pk}/").status_code == 200
    assert b.title in client.get("/supervision/bulletins/").content.decode()
    assert client.get(f"/supervision/bulletins/{b.pk}/xlsx/").status_code == 200
    # ...but cannot act on it.
    assert client.post(f"/supervision/bulletins/{b.pk}/publish/").status_code == 404
    client.force_login(outsider)
    for suffix in ("", "print/", "xlsx/"):
        assert client.get(f"/supervision/bulletins/{b.pk}/{suffix}").status_code == 404
    assert b.title not in client.get("/supervision/bulletins/").content.decode()


def test_bulletin_pages_generate_review_publish(client, territory, town_admin, scoring):
    client.force_login(town_admin)
    response = client.post(
        "/supervision/bulletins/new/",
        {"area": territory.town.pk, "kind": "biweekly", "day": "2026-11-04"},
    )
    assert response.status_code == 302
    url = response["Location"]
    pk = int(url.rstrip("/").split("/")[-1])
    client.post(f"/supervision/bulletins/{pk}/review/")
    client.post(f"/supervision/bulletins/{pk}/publish/")
    response = client.post(f"/supervision/bulletins/{pk}/publish/", follow=True)
    assert "已于" in response.content.decode() or "already" in response.content.decode()
    printable = client.get(f"/supervision/bulletins/{pk}/print/").content.decode()
    assert "size: A4" in printable and "Noto Sans CJK SC" in printable
    response = client.get(f"/supervision/bulletins/{pk}/xlsx/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.sheetnames) >= 3
    # Generating the same period again: a clear message, nothing created.
    response = client.post(
        "/supervision/bulletins/new/",
        {"area": territory.town.pk, "kind": "biweekly", "day": "2026-11-05"},
    )
    assert response.status_code == 400


def test_bulletin_list_queries_flat(client, territory, town_admin, scoring):
    client.force_login(town_admin)
    services.bulletin_generate(
        actor=town_admin, area=territory.town, kind="biweekly", day=dt.date(2026, 1, 5)
    )
    with CaptureQueriesContext(connection) as few:
        client.get("/supervision/bulletins/")
    for week in range(3, 30, 2):
        services.bulletin_generate(
            actor=town_admin,
            area=territory.town,
            kind="biweekly",
            day=dt.date.fromisocalendar(2026, week, 1),
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/supervision/bulletins/")
    assert len(many) <= len(few)


def test_overdue_problem_is_red_on_the_page(client, problem, supervisor):
    from wangge.supervision.tasks import sweep

    sweep(now=timezone.now() + dt.timedelta(days=10))
    client.force_login(supervisor)
    page = client.get("/supervision/problems/").content.decode()
    assert "sv-red" in page
