import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.core.models import AuditEntry
from wangge.people.models import Household, Resident, ServicePlan, Tag
from wangge.testing.factories import make_household, make_resident, user_with_post, valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(territory):
    return user_with_post(territory.grid_a1, "grid_worker")


@pytest.fixture
def logged_in(client, worker):
    client.force_login(worker)
    return client


def _households(area, n, prefix):
    tag = Tag.objects.get(code="hardship")
    out = []
    for i in range(n):
        h = make_household(area, number=f"{prefix}{i:04d}", tags=[tag])
        make_resident(h, name=f"居民{prefix}{i}", relation="head")
        out.append(h)
    return out


# Lists ---------------------------------------------------------------------------------------


def test_household_list_shows_only_own_grid(logged_in, territory):
    mine = make_household(territory.grid_a1, number="A1-0001")
    other = make_household(territory.grid_a2, number="A2-0001")
    response = logged_in.get(reverse("people:household_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert mine.number in body
    assert other.number not in body


def test_household_search_and_tag_filter(logged_in, territory):
    tag = Tag.objects.get(code="dibao")
    hit = make_household(territory.grid_a1, number="A1-7777", address="东街8号", tags=[tag])
    miss = make_household(territory.grid_a1, number="A1-8888", address="西街1号")
    body = logged_in.get(reverse("people:household_list"), {"q": "东街"}).content.decode()
    assert hit.number in body and miss.number not in body
    body = logged_in.get(reverse("people:household_list"), {"tag": "dibao"}).content.decode()
    assert hit.number in body and miss.number not in body


def test_household_list_area_filter_outside_scope_shows_nothing(logged_in, territory):
    make_household(territory.grid_a1, number="A1-0001")
    make_household(territory.grid_b1, number="B1-0001")
    body = logged_in.get(
        reverse("people:household_list"), {"area": territory.grid_b1.pk}
    ).content.decode()
    assert "A1-0001" not in body and "B1-0001" not in body


def _list_queries(client, url):
    client.get(url)  # steady state: after new rows the first request re-reads cached posts/users
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_household_list_query_count_is_flat(logged_in, territory):
    _households(territory.grid_a1, 3, "S")
    few = _list_queries(logged_in, reverse("people:household_list"))
    _households(territory.grid_a1, 27, "M")
    many = _list_queries(logged_in, reverse("people:household_list"))
    assert Household.objects.filter(grid=territory.grid_a1).count() == 30
    assert many == few


def test_resident_list_query_count_is_flat(logged_in, territory):
    _households(territory.grid_a1, 3, "S")
    few = _list_queries(logged_in, reverse("people:resident_list"))
    _households(territory.grid_a1, 27, "M")
    many = _list_queries(logged_in, reverse("people:resident_list"))
    assert many == few


def test_household_list_paginates_by_30(logged_in, territory, django_assert_max_num_queries):
    _households(territory.grid_a1, 31, "P")
    with django_assert_max_num_queries(12):
        page1 = logged_in.get(reverse("people:household_list")).content.decode()
    assert "P0029" in page1 and "P0030" not in page1
    page2 = logged_in.get(reverse("people:household_list"), {"page": 2}).content.decode()
    assert "P0030" in page2


def test_resident_list_scope_and_search_by_full_id_number(logged_in, territory):
    h = make_household(territory.grid_a1)
    number = valid_id_number()
    mine = make_resident(h, name="李四", id_number=number)
    make_resident(h, name="王五")
    other = make_resident(make_household(territory.grid_b2), name="赵六")
    body = logged_in.get(reverse("people:resident_list")).content.decode()
    assert "李四" in body and "王五" in body and other.name not in body
    response = logged_in.get(reverse("people:resident_list"), {"q": number})
    assert [r.name for r in response.context["page"].object_list] == [mine.name]
    # The rows never show the full number, only the masked one.
    rows = response.content.decode().split('class="list"')[1]
    assert number not in rows and mine.id_number_masked not in rows


# Details: out of scope is 404 ---------------------------------------------------------------


def test_household_detail_own_grid(logged_in, territory):
    h = make_household(territory.grid_a1, lat=32.905, lng=115.805)
    make_resident(h, name="张三", relation="head")
    response = logged_in.get(reverse("people:household_detail", args=[h.pk]))
    assert response.status_code == 200
    assert "张三" in response.content.decode()
    assert "household-map-data" in response.content.decode()


def test_grid_worker_cannot_see_another_grids_household(logged_in, territory):
    other = make_household(territory.grid_a2)
    assert logged_in.get(reverse("people:household_detail", args=[other.pk])).status_code == 404
    assert logged_in.get(reverse("people:household_edit", args=[other.pk])).status_code == 404
    assert logged_in.get(reverse("people:service_plan_edit", args=[other.pk])).status_code == 404
    assert logged_in.get(reverse("people:resident_create", args=[other.pk])).status_code == 404


def test_missing_household_is_404(logged_in):
    assert logged_in.get(reverse("people:household_detail", args=[999999])).status_code == 404


def test_resident_detail_out_of_scope_is_404(logged_in, territory):
    other = make_resident(make_household(territory.grid_b1))
    assert logged_in.get(reverse("people:resident_detail", args=[other.pk])).status_code == 404
    assert logged_in.post(reverse("people:resident_reveal", args=[other.pk])).status_code == 404
    assert not AuditEntry.objects.filter(verb="resident.reveal_id").exists()


def test_village_chief_sees_all_grids_of_the_village(client, territory):
    chief = user_with_post(territory.village_a, "village_grid_chief")
    a2 = make_household(territory.grid_a2, number="A2-0001")
    b1 = make_household(territory.grid_b1, number="B1-0001")
    client.force_login(chief)
    assert client.get(reverse("people:household_detail", args=[a2.pk])).status_code == 200
    assert client.get(reverse("people:household_detail", args=[b1.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("people:household_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ID number reveal ----------------------------------------------------------------------------


def test_detail_masks_id_and_reveal_is_audited(logged_in, territory, worker):
    number = valid_id_number()
    r = make_resident(make_household(territory.grid_a1), id_number=number)
    body = logged_in.get(reverse("people:resident_detail", args=[r.pk])).content.decode()
    assert number not in body and r.id_number_masked in body
    response = logged_in.post(
        reverse("people:resident_reveal", args=[r.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert number in response.content.decode()
    assert "<html" not in response.content.decode()  # an htmx fragment
    entry = AuditEntry.objects.get(verb="resident.reveal_id")
    assert entry.actor == worker and entry.object_id == str(r.pk)


def test_reveal_needs_post_and_capability(client, territory):
    volunteer = user_with_post(territory.grid_a1, "volunteer")
    number = valid_id_number()
    r = make_resident(make_household(territory.grid_a1), id_number=number)
    client.force_login(volunteer)
    body = client.get(reverse("people:resident_detail", args=[r.pk])).content.decode()
    assert "reveal-id" not in body
    assert client.get(reverse("people:resident_reveal", args=[r.pk])).status_code == 405
    response = client.post(reverse("people:resident_reveal", args=[r.pk]))
    assert response.status_code == 403
    assert number not in response.content.decode()
    assert not AuditEntry.objects.filter(verb="resident.reveal_id").exists()


# Forms ----------------------------------------------------------------------------------------


def test_household_create(logged_in, territory):
    response = logged_in.post(
        reverse("people:household_create"),
        {
            "number": "A1-0100",
            "area": territory.grid_a1.pk,
            "address": "程集村2组5号",
            "phone": "13800138000",
            "tags": [Tag.objects.get(code="hardship").pk],
        },
    )
    h = Household.objects.get(number="A1-0100")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:household_detail", args=[h.pk])
    assert h.grid == territory.grid_a1 and list(h.tags.values_list("code", flat=True)) == [
        "hardship"
    ]


def test_household_create_rejects_bad_phone_and_saves_nothing(logged_in, territory):
    response = logged_in.post(
        reverse("people:household_create"),
        {"number": "A1-0101", "area": territory.grid_a1.pk, "address": "x", "phone": "12345"},
    )
    assert response.status_code == 200
    assert "12345" in response.context["form"].errors["phone"][0]
    assert not Household.objects.filter(number="A1-0101").exists()


def test_household_create_message_in_chinese(logged_in, territory):
    make_household(territory.grid_a1, number="A1-0102")
    response = logged_in.post(
        reverse("people:household_create"),
        {"number": "A1-0102", "area": territory.grid_a1.pk, "address": "x"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "已存在" in response.context["form"].errors["number"][0]


def test_household_create_cannot_use_other_grid(logged_in, territory):
    response = logged_in.post(
        reverse("people:household_create"),
        {"number": "A1-0103", "area": territory.grid_b1.pk, "address": "x"},
    )
    assert response.status_code == 200
    assert "area" in response.context["form"].errors
    assert not Household.objects.filter(number="A1-0103").exists()


def test_household_edit(logged_in, territory):
    h = make_household(territory.grid_a1, address="旧地址")
    response = logged_in.post(
        reverse("people:household_edit", args=[h.pk]),
        {"area": territory.grid_a1.pk, "address": "新地址", "phone": "", "notes": "备注"},
    )
    assert response.status_code == 302
    h.refresh_from_db()
    assert h.address == "新地址" and h.notes == "备注"


def test_volunteer_cannot_edit(client, territory):
    volunteer = user_with_post(territory.grid_a1, "volunteer")
    h = make_household(territory.grid_a1)
    client.force_login(volunteer)
    assert client.get(reverse("people:household_detail", args=[h.pk])).status_code == 200
    response = client.get(reverse("people:household_edit", args=[h.pk]))
    assert response.status_code == 403
    assert client.get(reverse("people:household_create")).status_code == 403


def test_service_plan_edit(logged_in, territory, worker):
    h = make_household(territory.grid_a1)
    response = logged_in.post(
        reverse("people:service_plan_edit", args=[h.pk]),
        {
            "situation": "独居老人",
            "needs": "看病",
            "measures": "每周走访",
            "responsible": worker.pk,
        },
    )
    assert response.status_code == 302
    plan = ServicePlan.objects.get(household=h)
    assert plan.measures == "每周走访" and plan.responsible == worker
    assert (
        "每周走访"
        in logged_in.get(reverse("people:household_detail", args=[h.pk])).content.decode()
    )


def test_resident_create(logged_in, territory):
    h = make_household(territory.grid_a1)
    response = logged_in.post(
        reverse("people:resident_create", args=[h.pk]),
        {
            "name": "钱七",
            "id_number": valid_id_number(),
            "ethnicity": "汉族",
            "relation": "head",
        },
    )
    assert response.status_code == 302
    h.refresh_from_db()
    assert h.head.name == "钱七" and h.member_count == 1


def test_resident_create_wrong_id_number_in_chinese_saves_nothing(logged_in, territory):
    h = make_household(territory.grid_a1)
    good = valid_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = logged_in.post(
        reverse("people:resident_create", args=[h.pk]),
        {"name": "孙八", "id_number": bad, "ethnicity": "汉族", "relation": "other"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    message = response.context["form"].errors["id_number"][0]
    assert "校验" in message
    assert message in response.content.decode()
    assert not Resident.objects.filter(name="孙八").exists()


def test_resident_form_in_english(logged_in, territory):
    h = make_household(territory.grid_a1)
    logged_in.cookies["django_language"] = "en"
    response = logged_in.post(
        reverse("people:resident_create", args=[h.pk]),
        {"name": "孙八", "id_number": "123", "ethnicity": "汉族", "relation": "other"},
    )
    assert "18 characters" in response.context["form"].errors["id_number"][0]


def test_resident_edit_keeps_id_when_blank(logged_in, territory):
    number = valid_id_number()
    r = make_resident(make_household(territory.grid_a1), name="周九", id_number=number)
    response = logged_in.post(
        reverse("people:resident_edit", args=[r.pk]),
        {
            "name": "周九九",
            "id_number": "",
            "ethnicity": "回族",
            "relation": "other",
            "is_away": "on",
        },
    )
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.name == "周九九" and r.ethnicity == "回族" and r.is_away
    assert r.id_number_masked == number[:3] + "*" * 11 + number[-4:]
