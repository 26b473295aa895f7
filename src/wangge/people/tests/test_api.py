import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.accounts.choices import Role
from wangge.core.models import AuditEntry
from wangge.people.models import Household, Resident, Tag
from wangge.testing.api import FAST_PASSWORD_HASHERS, api_client, ids
from wangge.testing.factories import (
    make_household,
    make_resident,
    user_with_post,
    valid_id_number,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The production hasher costs ~0.3 s per user; these tests make hundreds of users.
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture
def tags(db):
    # The default tags come with a data migration; make sure these three are there.
    specs = [
        ("dibao", "低保", "both"),
        ("hardship", "困难户", "household"),
        ("veteran", "退役军人", "resident"),
    ]
    return [
        Tag.objects.get_or_create(code=code, defaults={"name": name, "target": target})[0]
        for code, name, target in specs
    ]


@pytest.fixture
def worker(territory):
    return user_with_post(territory.grid_a1, Role.GRID_WORKER)


# ---------------------------------------------------------------- households


def test_household_list_shows_only_the_scope(territory, worker):
    mine = make_household(territory.grid_a1)
    make_household(territory.grid_a2)
    make_household(territory.grid_b1)
    response = api_client(worker).get("/api/households/")
    assert response.status_code == 200
    assert ids(response) == {mine.pk}
    row = response.json()["results"][0]
    assert row["area"] == territory.grid_a1.pk
    assert row["grid_name"] == "第一网格"


def test_household_detail_out_of_scope_is_404_like_a_missing_one(territory, worker):
    other = make_household(territory.grid_b1)
    client = api_client(worker)
    out_of_scope = client.get(f"/api/households/{other.pk}/")
    missing = client.get("/api/households/999999/")
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()
    assert out_of_scope.json()["code"] == "not_found"


def test_household_filters(territory, worker, tags):
    a = make_household(territory.grid_a1, number="H-A", address="东街1号", tags=[tags[1]])
    make_household(territory.grid_a1, number="H-B", address="西街2号")
    client = api_client(worker)
    assert ids(client.get("/api/households/", {"tag": "hardship"})) == {a.pk}
    assert ids(client.get("/api/households/", {"q": "东街"})) == {a.pk}
    assert ids(client.get("/api/households/", {"area": territory.grid_a2.pk})) == set()


def test_household_create_goes_through_the_service(territory, worker, tags):
    response = api_client(worker).post(
        "/api/households/",
        {
            "number": "3412041002010010001",
            "area": territory.grid_a1.pk,
            "address": "程集村3组8号",
            "phone": "13800000000",
            "tags": ["hardship"],
            "lat": 32.905,
            "lng": 115.805,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    household = Household.objects.get(pk=data["id"])
    assert household.area_path == territory.grid_a1.path
    assert data["tags"] == ["hardship"]
    assert AuditEntry.objects.filter(verb="household.create", actor=worker).exists()


def test_household_create_outside_the_scope_is_refused(territory, worker):
    response = api_client(worker).post(
        "/api/households/",
        {"number": "X1", "area": territory.grid_b1.pk, "address": "王庄"},
        format="json",
    )
    # The area is not one the worker can see: refused like an unknown id.
    assert response.status_code == 400
    assert response.json()["field"] == "area"
    assert not Household.objects.filter(number="X1").exists()


def test_household_duplicate_number_is_a_clear_400(territory, worker):
    make_household(territory.grid_a1, number="DUP1")
    response = api_client(worker).post(
        "/api/households/",
        {"number": "DUP1", "area": territory.grid_a1.pk, "address": "x"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == "number"
    assert "DUP1" in body["detail"]


def test_household_in_a_village_not_a_grid_is_refused(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    response = api_client(chief).post(
        "/api/households/",
        {"number": "V1", "area": territory.village_a.pk, "address": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "area"


def test_household_update(territory, worker, tags):
    household = make_household(territory.grid_a1)
    response = api_client(worker).patch(
        f"/api/households/{household.pk}/",
        {"address": "新地址", "tags": ["hardship", "dibao"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    household.refresh_from_db()
    assert household.address == "新地址"
    assert set(household.tags.values_list("code", flat=True)) == {"hardship", "dibao"}


def test_household_update_without_edit_capability_is_403_in_scope_404_outside(territory):
    volunteer = user_with_post(territory.village_a, Role.VOLUNTEER)
    inside = make_household(territory.grid_a1)
    outside = make_household(territory.grid_b1)
    client = api_client(volunteer)
    assert client.get(f"/api/households/{inside.pk}/").status_code == 200
    r = client.patch(f"/api/households/{inside.pk}/", {"address": "x"}, format="json")
    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied"
    r = client.patch(f"/api/households/{outside.pk}/", {"address": "x"}, format="json")
    assert r.status_code == 404
    r = client.post(
        "/api/households/",
        {"number": "V2", "area": territory.grid_a1.pk, "address": "x"},
        format="json",
    )
    assert r.status_code == 403


def test_put_and_delete_are_not_offered(territory, worker):
    household = make_household(territory.grid_a1)
    client = api_client(worker)
    assert client.delete(f"/api/households/{household.pk}/").status_code == 405
    assert client.put(f"/api/households/{household.pk}/", {}, format="json").status_code == 405


def test_anonymous_is_401(territory):
    response = api_client().get("/api/households/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def _count_queries(client, url) -> int:
    client.get(url)  # steady state: after new rows the first request re-reads cached posts/users
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_household_list_query_count_is_constant(territory, worker, tags):
    def add(n):
        for _ in range(n):
            h = make_household(territory.grid_a1, tags=[tags[1]])
            make_resident(h, relation="head")

    add(2)
    client = api_client(worker)
    few = _count_queries(client, "/api/households/")
    add(23)
    many = _count_queries(client, "/api/households/")
    assert Household.objects.count() == 25
    assert many == few


# ---------------------------------------------------------------- residents


def test_resident_create_never_echoes_the_id_number(territory, worker, tags):
    household = make_household(territory.grid_a1)
    number = valid_id_number()
    response = api_client(worker).post(
        "/api/residents/",
        {
            "household": household.pk,
            "name": "李四",
            "id_number": number,
            "relation": "head",
            "tags": ["veteran"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert number not in response.content.decode()
    data = response.json()
    assert "id_number" not in data
    assert data["id_number_masked"] == number[:3] + "*" * 11 + number[-4:]
    household.refresh_from_db()
    assert household.head_id == data["id"]
    assert household.member_count == 1


def test_resident_with_a_wrong_check_digit_is_a_clear_400(territory, worker):
    household = make_household(territory.grid_a1)
    number = valid_id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = api_client(worker).post(
        "/api/residents/",
        {"household": household.pk, "name": "王五", "id_number": wrong},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_id_number"
    assert body["field"] == "id_number"
    assert body["detail"]


def test_resident_household_out_of_scope_is_refused(territory, worker):
    other = make_household(territory.grid_b1)
    response = api_client(worker).post(
        "/api/residents/",
        {"household": other.pk, "name": "王五", "id_number": valid_id_number()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "household"


def test_resident_list_and_detail_only_masked(territory, worker):
    household = make_household(territory.grid_a1)
    resident = make_resident(household)
    make_resident(make_household(territory.grid_b1))
    client = api_client(worker)
    listing = client.get("/api/residents/")
    assert ids(listing) == {resident.pk}
    detail = client.get(f"/api/residents/{resident.pk}/").json()
    assert detail["id_number_masked"] == resident.id_number_masked
    assert "id_number" not in detail


def test_resident_update(territory, worker):
    resident = make_resident(make_household(territory.grid_a1))
    response = api_client(worker).patch(
        f"/api/residents/{resident.pk}/",
        {"phone": "13900000000", "is_away": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    resident.refresh_from_db()
    assert resident.phone == "13900000000" and resident.is_away


def test_reveal_id_returns_the_number_and_writes_an_audit_row(territory, worker):
    number = valid_id_number()
    resident = make_resident(make_household(territory.grid_a1), id_number=number)
    response = api_client(worker).post(
        f"/api/residents/{resident.pk}/reveal-id/", {"reason": "低保复核"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"id": resident.pk, "id_number": number}
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(verb="resident.reveal_id")
    assert entry.actor == worker
    assert entry.object_id == str(resident.pk)
    assert entry.data["reason"] == "低保复核"


def test_reveal_id_without_capability_is_403_and_out_of_scope_404(territory):
    volunteer = user_with_post(territory.village_a, Role.VOLUNTEER)
    inside = make_resident(make_household(territory.grid_a1))
    outside = make_resident(make_household(territory.grid_b1))
    client = api_client(volunteer)
    assert client.post(f"/api/residents/{inside.pk}/reveal-id/").status_code == 403
    assert client.post(f"/api/residents/{outside.pk}/reveal-id/").status_code == 404
    assert not AuditEntry.objects.filter(verb="resident.reveal_id").exists()


def test_resident_list_query_count_is_constant(territory, worker, tags):
    household = make_household(territory.grid_a1)

    def add(n):
        for _ in range(n):
            r = make_resident(household)
            r.tags.add(tags[0])

    add(2)
    client = api_client(worker)
    few = _count_queries(client, "/api/residents/")
    add(23)
    many = _count_queries(client, "/api/residents/")
    assert Resident.objects.count() == 25
    assert many == few


# ---------------------------------------------------------------- tags


def test_tags_are_listed_for_every_user(territory, worker, tags):
    response = api_client(worker).get("/api/tags/", {"target": "household"})
    assert response.status_code == 200
    codes = {row["code"] for row in response.json()["results"]}
    assert "hardship" in codes and "veteran" not in codes and "dibao" not in codes
