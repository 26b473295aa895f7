import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.areas.models import Area, AreaChange
from wangge.testing.factories import make_area, make_household, square, user_with_post

pytestmark = pytest.mark.django_db


def test_area_list_starts_at_the_users_post(client, territory):
    chief = user_with_post(territory.village_a, "village_grid_chief")
    make_household(territory.grid_a1)
    client.force_login(chief)
    response = client.get(reverse("areas:list"))
    assert response.status_code == 200
    [root] = response.context["roots"]
    assert root == territory.village_a
    assert [c.name for c in root.child_rows] == ["第一网格", "第二网格"]
    assert root.child_rows[0].n_households == 1
    assert "王庄村" not in response.content.decode()


def test_area_search_is_scoped(client, territory):
    chief = user_with_post(territory.village_a, "village_grid_chief")
    client.force_login(chief)
    response = client.get(reverse("areas:list"), {"q": "网格"})
    assert {a.pk for a in response.context["results"]} == {
        territory.grid_a1.pk,
        territory.grid_a2.pk,
    }


def test_area_detail_map_breadcrumb_and_history(client, territory):
    town_admin = user_with_post(territory.town, "town_admin")
    client.force_login(town_admin)
    response = client.get(reverse("areas:detail", args=[territory.village_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    data = json.loads(
        body.split('id="area-map-data" type="application/json">')[1].split("</script>")[0]
    )
    assert {f["name"] for f in data["features"]} == {"第一网格", "第二网格"}
    assert data["tile_url"] == ""
    crumbs = response.context["crumbs"]
    assert [c["name"] for c in crumbs] == ["颍州区", "程集镇", "程集村"]
    # The county is above the post: named but not linked.
    assert crumbs[0]["url"] == "" and crumbs[1]["url"]
    assert response.context["history"][0].kind == "create"


def test_area_detail_tile_url_setting(client, territory, settings):
    settings.WANGGE_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    client.force_login(user_with_post(territory.grid_a1, "grid_worker"))
    body = client.get(reverse("areas:detail", args=[territory.grid_a1.pk])).content.decode()
    assert "tiles.example.org" in body


def test_area_detail_out_of_scope_is_404(client, territory):
    client.force_login(user_with_post(territory.grid_a1, "grid_worker"))
    assert client.get(reverse("areas:detail", args=[territory.grid_a2.pk])).status_code == 404
    assert client.get(reverse("areas:detail", args=[territory.village_a.pk])).status_code == 404
    assert client.get(reverse("areas:edit", args=[territory.grid_b1.pk])).status_code == 404


def test_area_detail_counts_in_one_query_per_level(client, territory):
    """Counting 2 or 6 children costs the same number of queries."""
    admin = user_with_post(territory.town, "town_admin")
    client.force_login(admin)
    url = reverse("areas:detail", args=[territory.village_a.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(3, 7):
        make_area(territory.village_a, f"第{i}网格", f"341204100201{i:03d}", square(115.9 + i, 33))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["children"]) == 6
    assert len(many.captured_queries) == len(few.captured_queries)


def test_grid_worker_cannot_edit_area(client, territory):
    client.force_login(user_with_post(territory.grid_a1, "grid_worker"))
    assert client.get(reverse("areas:edit", args=[territory.grid_a1.pk])).status_code == 403
    body = client.get(reverse("areas:detail", args=[territory.grid_a1.pk])).content.decode()
    assert reverse("areas:edit", args=[territory.grid_a1.pk]) not in body


def test_area_edit_and_ab_partner(client, territory):
    admin = user_with_post(territory.town, "town_admin")
    client.force_login(admin)
    grid = territory.grid_a1
    response = client.post(
        reverse("areas:edit", args=[grid.pk]),
        {
            "name": "一网格",
            "kind": "ordinary",
            "boundary": json.dumps(grid.boundary),
            "ab_partner": territory.grid_a2.pk,
        },
    )
    assert response.status_code == 302
    grid.refresh_from_db()
    assert grid.name == "一网格" and grid.ab_partner == territory.grid_a2
    assert Area.objects.get(pk=territory.grid_a2.pk).ab_partner_id == grid.pk
    assert AreaChange.objects.filter(area=grid, kind="update").exists()
    body = client.get(reverse("areas:detail", args=[grid.pk])).content.decode()
    assert "第二网格" in body


def test_area_edit_rejects_duplicate_name_and_bad_boundary(client, territory):
    admin = user_with_post(territory.town, "town_admin")
    client.force_login(admin)
    url = reverse("areas:edit", args=[territory.grid_a1.pk])
    response = client.post(url, {"name": "第二网格", "kind": "ordinary"})
    assert response.status_code == 200
    assert "第二网格" in response.context["form"].errors["name"][0]
    bad = {"type": "Point", "coordinates": [115.8, 32.9]}
    response = client.post(url, {"name": "新名", "kind": "ordinary", "boundary": json.dumps(bad)})
    assert response.status_code == 200
    assert "boundary" in response.context["form"].errors
    territory.grid_a1.refresh_from_db()
    assert territory.grid_a1.name == "第一网格"
