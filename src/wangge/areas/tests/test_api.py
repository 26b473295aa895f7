import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.accounts.choices import Role
from wangge.areas.models import Area, AreaChange
from wangge.testing.api import FAST_PASSWORD_HASHERS, api_client, ids
from wangge.testing.factories import UserFactory, make_area, square, user_with_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The production hasher costs ~0.3 s per user; these tests make hundreds of users.
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture
def town_admin(territory):
    return user_with_post(territory.town, Role.TOWN_ADMIN)


def test_list_is_the_subtree_of_the_posts(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    response = api_client(chief).get("/api/areas/")
    assert response.status_code == 200
    assert ids(response) == {
        territory.village_a.pk,
        territory.grid_a1.pk,
        territory.grid_a2.pk,
    }


def test_list_item_fields(territory, town_admin):
    response = api_client(town_admin).get("/api/areas/", {"level": "grid"})
    rows = response.json()["results"]
    assert len(rows) == 4
    row = next(r for r in rows if r["id"] == territory.grid_a1.pk)
    assert set(row) >= {
        "id",
        "name",
        "code",
        "level",
        "kind",
        "parent",
        "depth",
        "ab_partner",
        "centroid",
        "has_boundary",
    }
    assert row["parent"] == territory.village_a.pk
    assert row["depth"] == 4
    assert row["has_boundary"] is True
    assert row["centroid"]["lat"] == pytest.approx(32.905, abs=0.01)
    assert "boundary" not in row


def test_filters_level_parent_and_q(territory, town_admin):
    client = api_client(town_admin)
    assert ids(client.get("/api/areas/", {"parent": territory.village_b.pk})) == {
        territory.grid_b1.pk,
        territory.grid_b2.pk,
    }
    assert ids(client.get("/api/areas/", {"level": "village"})) == {
        territory.village_a.pk,
        territory.village_b.pk,
    }
    assert ids(client.get("/api/areas/", {"q": "王庄"})) == {territory.village_b.pk}
    assert ids(client.get("/api/areas/", {"q": "341204100201"})) == {
        territory.village_a.pk,
        territory.grid_a1.pk,
        territory.grid_a2.pk,
    }
    assert client.get("/api/areas/", {"level": "planet"}).status_code == 400


def test_out_of_scope_detail_is_404(territory):
    worker = user_with_post(territory.grid_a1, Role.GRID_WORKER)
    client = api_client(worker)
    assert client.get(f"/api/areas/{territory.grid_a1.pk}/").status_code == 200
    assert client.get(f"/api/areas/{territory.grid_a2.pk}/").status_code == 404
    assert client.get(f"/api/areas/{territory.village_a.pk}/").status_code == 404
    assert client.get(f"/api/areas/{territory.grid_a2.pk}/boundary/").status_code == 404


def test_boundary_is_a_geojson_feature(territory, town_admin):
    response = api_client(town_admin).get(f"/api/areas/{territory.grid_a1.pk}/boundary/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["id"] == territory.grid_a1.pk
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["code"] == "341204100201001"
    no_boundary = api_client(town_admin).get(f"/api/areas/{territory.village_a.pk}/boundary/")
    assert no_boundary.json()["geometry"] is None


def test_locate_finds_the_grid(territory, town_admin):
    response = api_client(town_admin).get("/api/areas/locate/", {"lat": 32.905, "lng": 115.815})
    assert response.status_code == 200, response.json()
    assert response.json()["grid"]["id"] == territory.grid_a2.pk
    assert response.json()["microgrid"] is None


def test_locate_finds_the_microgrid(territory, town_admin):
    micro = make_area(territory.grid_a1, "一巷", "34120410020100101", square(115.80, 32.90, 0.005))
    response = api_client(town_admin).get("/api/areas/locate/", {"lat": 32.902, "lng": 115.802})
    assert response.json()["grid"]["id"] == territory.grid_a1.pk
    assert response.json()["microgrid"]["id"] == micro.pk


def test_locate_outside_every_grid_is_a_clear_400(territory, town_admin):
    response = api_client(town_admin).get("/api/areas/locate/", {"lat": 30.0, "lng": 110.0})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "outside_grids"
    assert "30.000000" in body["detail"] and "110.000000" in body["detail"]


def test_locate_in_a_grid_outside_the_scope_is_404(territory):
    worker = user_with_post(territory.grid_a1, Role.GRID_WORKER)
    response = api_client(worker).get("/api/areas/locate/", {"lat": 32.905, "lng": 115.825})
    assert response.status_code == 404


def test_locate_needs_valid_coordinates(territory, town_admin):
    client = api_client(town_admin)
    assert client.get("/api/areas/locate/", {"lat": 95, "lng": 115}).status_code == 400
    assert client.get("/api/areas/locate/", {"lat": "x", "lng": 115}).status_code == 400
    response = client.get("/api/areas/locate/")
    assert response.status_code == 400
    assert response.json()["field"] == "lat"


def test_create_with_manage_areas(territory, town_admin):
    response = api_client(town_admin).post(
        "/api/areas/",
        {
            "parent": territory.village_a.pk,
            "name": "第三网格",
            "code": "341204100201003",
            "boundary": square(115.84, 32.90),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["level"] == "grid" and data["has_boundary"] is True
    assert AreaChange.objects.filter(area_id=data["id"], kind="create").exists()


def test_create_with_a_bad_code_names_the_field(territory, town_admin):
    response = api_client(town_admin).post(
        "/api/areas/",
        {"parent": territory.village_a.pk, "name": "第三网格", "code": "341299100201003"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "code"


def test_create_without_manage_areas_is_403(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    response = api_client(chief).post(
        "/api/areas/",
        {"parent": territory.village_a.pk, "name": "第三网格", "code": "341204100201003"},
        format="json",
    )
    assert response.status_code == 403


def test_a_county_is_created_only_by_a_superuser(territory, town_admin):
    body = {"parent": None, "name": "新县", "code": "341205000000"}
    assert api_client(town_admin).post("/api/areas/", body, format="json").status_code == 403
    root = UserFactory(is_superuser=True)
    assert api_client(root).post("/api/areas/", body, format="json").status_code == 201


def test_update(territory, town_admin):
    response = api_client(town_admin).patch(
        f"/api/areas/{territory.grid_a1.pk}/", {"name": "东网格", "kind": "market"}, format="json"
    )
    assert response.status_code == 200, response.json()
    territory.grid_a1.refresh_from_db()
    assert territory.grid_a1.name == "东网格" and territory.grid_a1.kind == "market"


def test_update_duplicate_name_is_400(territory, town_admin):
    response = api_client(town_admin).patch(
        f"/api/areas/{territory.grid_a1.pk}/", {"name": "第二网格"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "name"


def test_update_in_scope_without_capability_403_out_of_scope_404(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    client = api_client(chief)
    r = client.patch(f"/api/areas/{territory.grid_a1.pk}/", {"name": "x"}, format="json")
    assert r.status_code == 403
    r = client.patch(f"/api/areas/{territory.grid_b1.pk}/", {"name": "x"}, format="json")
    assert r.status_code == 404


def test_move_and_ab_partner(territory, town_admin):
    client = api_client(town_admin)
    r = client.post(
        f"/api/areas/{territory.grid_a1.pk}/ab-partner/",
        {"partner": territory.grid_a2.pk},
        format="json",
    )
    assert r.status_code == 200 and r.json()["ab_partner"] == territory.grid_a2.pk
    territory.grid_a2.refresh_from_db()
    assert territory.grid_a2.ab_partner_id == territory.grid_a1.pk
    r = client.post(
        f"/api/areas/{territory.grid_b2.pk}/move/",
        {"new_parent": territory.village_a.pk, "note": "调整"},
        format="json",
    )
    assert r.status_code == 400  # 第二网格 already exists in 程集村
    assert r.json()["field"] == "new_parent"
    Area.objects.filter(pk=territory.grid_b2.pk).update(name="第三网格")
    r = client.post(
        f"/api/areas/{territory.grid_b2.pk}/move/",
        {"new_parent": territory.village_a.pk},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert r.json()["parent"] == territory.village_a.pk


def test_list_query_count_is_constant(territory, town_admin):
    client = api_client(town_admin)

    def count():
        client.get(
            "/api/areas/", {"level": "microgrid"}
        )  # steady state: after new rows the first request re-reads cached posts/users
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/areas/", {"level": "microgrid"}).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        make_area(territory.grid_a1, f"巷{i}", f"3412041002010010{i}", square(115.8, 32.9, 0.001))
    few = count()
    for i in range(2, 25):
        make_area(territory.grid_a1, f"巷{i}", f"341204100201001{i:02d}")
    assert count() == few
