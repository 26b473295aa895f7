import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.cases import services
from wangge.cases.models import Case, CaseAttachment

from .conftest import IN_A1, IN_B2, JPEG

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


def test_pages_need_login(client, db):
    r = client.get("/cases/")
    assert r.status_code == 302 and "login" in r["Location"]


def test_todo_puts_overdue_and_urgent_first(world, report, login, clock):
    normal = report()
    urgent = report(urgency="urgent")
    late = report()
    Case.objects.filter(pk=late.pk).update(warning="red")
    c = login(world.worker_a1)
    r = c.get("/cases/todo/")
    assert r.status_code == 200
    ids = [x.pk for x in r.context["page"].object_list]
    assert ids == [late.pk, urgent.pk, normal.pk]


def test_a_deadline_badge_shows_while_the_case_is_open(world, report, login):
    late, soon = report(), report()
    Case.objects.filter(pk=late.pk).update(warning="red")  # as the deadline sweep leaves them
    Case.objects.filter(pk=soon.pk).update(warning="yellow")
    c = login(world.town_admin)

    def badges(case):
        """(overdue, due soon) on the case's row of the board and on its page, in English."""
        board = c.get("/cases/", {"state": "all"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        row = board[board.index(f'href="/cases/{case.pk}/"') :].split("</li>")[0]
        page = c.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        head = page[page.index("<article") :].split("</p>")[0]
        return [("overdue" in part, "due soon" in part) for part in (row, head)]

    assert badges(late) == [(True, False), (True, False)]
    assert badges(soon) == [(False, True), (False, True)]
    for case in (late, soon):
        services.case_accept(case=case, actor=world.worker_a1)
        services.case_resolve(case=case, actor=world.worker_a1, resolution="已处理")
    # Resolved after turning red or yellow: not due any more, on the board or on its page.
    assert badges(late) == [(False, False), (False, False)]
    assert badges(soon) == [(False, False), (False, False)]


def test_board_scope_and_filters(world, report, login):
    a = report()
    b = report(point=IN_B2, category="flood")
    c = login(world.chief_a)
    r = c.get("/cases/")
    assert [x.pk for x in r.context["page"].object_list] == [a.pk]
    c = login(world.town_admin)
    r = c.get("/cases/", {"category": "flood"})
    assert [x.pk for x in r.context["page"].object_list] == [b.pk]
    r = c.get("/cases/", {"area": world.t.village_a.pk})
    assert [x.pk for x in r.context["page"].object_list] == [a.pk]
    services.case_reject(case=a, actor=world.chief_a, reason="重复")
    assert b.pk in [x.pk for x in c.get("/cases/").context["page"].object_list]
    assert a.pk not in [x.pk for x in c.get("/cases/").context["page"].object_list]
    r = c.get("/cases/", {"state": "all"})
    assert len(r.context["page"].object_list) == 2


def test_board_query_count_is_constant(world, report, login):
    c = login(world.town_admin)
    report()
    c.get("/cases/")
    with CaptureQueriesContext(connection) as few:
        c.get("/cases/")
    for i in range(8):
        report(point=IN_B2 if i % 2 else IN_A1, category="flood" if i % 3 else "other")
    with CaptureQueriesContext(connection) as many:
        c.get("/cases/")
    assert len(many) == len(few)
    Case.objects.update(handler=world.town_admin)
    with CaptureQueriesContext(connection) as todo_few:
        c.get("/cases/todo/")
    for _ in range(5):
        services.case_escalate(case=report(), actor=world.worker_a1, reason="x")
        Case.objects.filter(level="village").update(handler=world.town_admin)
    with CaptureQueriesContext(connection) as todo_many:
        c.get("/cases/todo/")
    assert len(todo_many) == len(todo_few)


def test_board_filters_in_the_readers_language_and_rows_by_key(world, report, login):
    from django.utils import translation

    from wangge.cases.models import Category

    case = report()
    c = login(world.town_admin)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            labels = [str(translation.gettext(x)) for x in ("all states", "all levels")]
            state = str(Case._meta.get_field("state").flatchoices[0][1])
        r = c.get("/cases/", HTTP_ACCEPT_LANGUAGE=language)
        html = r.content.decode()
        for label in [*labels, state]:
            assert f">{label}</option>" in html, (language, label)
    # The area filter is kept per user until the posts or the areas change: a renamed village
    # is offered under its new name at once.
    village = world.t.village_a
    assert f">· · {village.name}</option>" in c.get("/cases/").content.decode()
    village.name = "新名字村"
    village.save()
    assert ">· · 新名字村</option>" in c.get("/cases/").content.decode()
    # A category added a moment ago is offered at once (the category table's generation).
    Category.objects.create(code="new_thing", name="新类别", parent=None)
    assert 'value="new_thing"' in c.get("/cases/").content.decode()
    # The page's rows are read by their keys, without the filters' conditions.
    with CaptureQueriesContext(connection) as queries:
        r = c.get("/cases/", {"category": case.category.code, "state": "all"})
    assert [x.pk for x in r.context["page"].object_list] == [case.pk]
    rows_query = [q["sql"] for q in queries if '"cases_case"."title"' in q["sql"]]
    assert len(rows_query) == 1
    assert "cases_category" not in rows_query[0].split("WHERE")[1]  # the filter's join


def test_detail_out_of_scope_is_404(world, report, login):
    case = report(point=IN_B2)
    c = login(world.worker_a1)
    assert c.get(f"/cases/{case.pk}/").status_code == 404
    assert c.post(f"/cases/{case.pk}/accept/", {}).status_code == 404
    assert c.get("/cases/999999/").status_code == 404


def test_detail_shows_actions_and_runs_them(world, report, login):
    case = report()
    c = login(world.worker_a1)
    r = c.get(f"/cases/{case.pk}/")
    assert r.status_code == 200
    names = [name for name, _label, _form in r.context["forms"]]
    assert "accept" in names and "reject" not in names
    r = c.post(f"/cases/{case.pk}/accept/", {})
    assert r.status_code == 302
    r = c.post(f"/cases/{case.pk}/resolve/", {"resolve-resolution": ""})
    assert r.status_code == 400
    r = c.post(f"/cases/{case.pk}/resolve/", {"resolve-resolution": "已处理"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "resolved"
    # the handler may not make the return visit: the service says why
    r = c.post(f"/cases/{case.pk}/return_visit/", {"return_visit-satisfaction": "satisfied"})
    assert r.status_code == 400
    case.refresh_from_db()
    assert case.satisfaction == ""
    c = login(world.chief_a)
    r = c.post(f"/cases/{case.pk}/return_visit/", {"return_visit-satisfaction": "satisfied"})
    assert r.status_code == 302
    names = [n for n, _l, _f in c.get(f"/cases/{case.pk}/").context["forms"]]
    assert "close" in names
    assert c.post(f"/cases/{case.pk}/close/", {}).status_code == 302
    case.refresh_from_db()
    assert case.state == "closed"
    assert c.post(f"/cases/{case.pk}/nonsense/", {}).status_code == 404


def test_a_visited_case_leaves_the_visits_list_and_offers_no_second_visit(world, report, login):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_resolve(case=case, actor=world.worker_a1, resolution="已处理")
    c = login(world.chief_a)

    def offered():
        todo = c.get("/cases/todo/").context["visits"]
        forms = c.get(f"/cases/{case.pk}/").context["forms"]
        return case.pk in [x.pk for x in todo], "return_visit" in [n for n, _l, _f in forms]

    assert offered() == (True, True)
    r = c.post(f"/cases/{case.pk}/return_visit/", {"return_visit-satisfaction": "satisfied"})
    assert r.status_code == 302
    assert offered() == (False, False)
    r = c.post(f"/cases/{case.pk}/return_visit/", {"return_visit-satisfaction": "basically"})
    assert r.status_code == 400
    case.refresh_from_db()
    assert case.satisfaction == "satisfied"


def test_the_timeline_names_a_public_reporter_once(world, report, login):
    case = report()  # by a resident: no account behind the report
    services.case_accept(case=case, actor=world.worker_a1)
    page = login(world.worker_a1).get(f"/cases/{case.pk}/").content.decode()
    metas = [part.split("</div>")[0] for part in page.split('<div class="row-meta">')[1:]]
    reported, accepted = metas[0], metas[1]  # oldest first
    assert reported.count("上报人") == 1, reported
    assert str(world.worker_a1) in accepted


def test_the_boards_state_filter_and_a_search_by_number(world, report, login):
    """The state select's first option ("open", sent empty by the form) shows the open cases,
    as the board does before any filter; "all states" shows every case; a case number finds
    its case whatever its state (a title search keeps the state filter)."""
    open_case, closed = report(), report(description="重复上报的路灯")
    services.case_reject(case=closed, actor=world.chief_a, reason="重复")
    c = login(world.town_admin)

    def shown(**query):
        ids = {x.pk for x in c.get("/cases/", query).context["page"].object_list}
        return open_case.pk in ids, closed.pk in ids

    assert shown() == (True, False)
    assert shown(state="") == (True, False)
    assert shown(state="all") == (True, True)
    assert shown(q=closed.number) == (False, True)
    assert shown(q=closed.number, state="") == (False, True)
    assert shown(q=closed.number, state="open") == (False, False)  # chosen: kept
    assert shown(q="重复上报") == (False, False)
    assert shown(q="重复上报", state="all") == (False, True)
    # Digits that are no case number (a title's "110", full-width digits) keep the default.
    Case.objects.filter(pk=closed.pk).update(title="拨打110报警")
    assert shown(q="110") == (False, False)
    assert shown(q="110", state="all") == (False, True)
    assert shown(q="".join(chr(ord(d) + 0xFEE0) for d in closed.number)) == (False, False)


def test_merge_by_number(world, report, login):
    a = report()
    b = report()
    c = login(world.chief_a)
    r = c.post(f"/cases/{b.pk}/merge/", {"merge-into": a.number})
    assert r.status_code == 302
    b.refresh_from_db()
    assert b.merged_into == a


def test_staff_new_form(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = login(world.worker_a1)
    assert c.get("/cases/new/").status_code == 200
    data = {
        "source": "patrol",
        "category": "environment",
        "description": "巡查发现垃圾堆放",
        "grid": str(world.t.grid_a1.pk),
        "token": "t-1",
        "photos": SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg"),
    }
    r = c.post("/cases/new/", data)
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.handler == world.worker_a1 and case.source == "patrol"
    att = CaseAttachment.objects.get()
    r = c.get(f"/cases/photos/{att.pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert login(world.outsider).get(f"/cases/photos/{att.pk}/").status_code == 404
    c = login(world.worker_a1)
    data["grid"] = ""
    data["token"] = "t-2"
    data["lat"], data["lng"] = 40.0, 116.4
    data.pop("photos")
    r = c.post("/cases/new/", data)
    assert r.status_code == 400
    assert Case.objects.count() == 1


def test_detail_shows_the_map_of_the_case_and_its_grid(world, report, login, settings):
    import json

    settings.WANGGE_TILE_URL = ""
    case = report()
    r = login(world.worker_a1).get(f"/cases/{case.pk}/")
    assert r.status_code == 200
    text = r.content.decode()
    assert 'id="case-map"' in text and "vendor/leaflet/leaflet.js" in text
    data = r.context["map_data"]
    assert data["tile_url"] == ""
    assert data["features"][0]["role"] == "self"
    assert data["features"][0]["geometry"]["coordinates"][0][1] == [115.81, 32.9]
    assert data["points"] == [{"lat": IN_A1[0], "lng": IN_A1[1], "label": case.title}]
    assert json.loads(text.split('id="case-map-data" type="application/json">')[1].split("<")[0])
