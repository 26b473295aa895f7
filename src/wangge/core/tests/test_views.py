import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.core.context_processors import build_menu
from wangge.people.models import Tag
from wangge.testing.factories import (
    PostFactory,
    UserFactory,
    make_area,
    make_household,
    make_resident,
    user_with_post,
)

pytestmark = pytest.mark.django_db


def test_home_needs_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_login_page_and_login(client, territory):
    user_with_post(territory.grid_a1, "grid_worker", username="wangfang")
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
    response = client.post(
        reverse("login"), {"username": "wangfang", "password": "wangge-pass-123"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_home_for_grid_worker_shows_grid_and_key_households(client, territory):
    worker = user_with_post(territory.grid_a1, "grid_worker")
    hardship = Tag.objects.get(code="hardship")
    key = make_household(territory.grid_a1, number="A1-0001", tags=[hardship])
    make_resident(key, name="困难户主", relation="head")
    make_household(territory.grid_a1, number="A1-0002")
    make_household(territory.grid_a2, number="A2-0001", tags=[hardship])
    client.force_login(worker)
    response = client.get(reverse("home"))
    [grid] = response.context["grids"]
    assert grid.n_households == 2 and grid.n_residents == 1
    assert [h.number for h in response.context["key_households"]] == ["A1-0001"]
    body = response.content.decode()
    assert "困难户主" in body and "A2-0001" not in body


def test_home_for_official_counts_children_in_constant_queries(client, territory):
    admin = user_with_post(territory.town, "town_admin")
    make_household(territory.grid_a1)
    make_resident(make_household(territory.grid_b2))
    client.force_login(admin)
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("home"))
    [root] = response.context["roots"]
    assert root == territory.town
    assert (root.n_grids, root.n_households, root.n_residents) == (4, 2, 1)
    rows = {c.name: (c.n_grids, c.n_households, c.n_residents) for c in root.child_rows}
    assert rows == {"程集村": (2, 1, 0), "王庄村": (2, 1, 1)}
    for i in range(3, 9):
        make_area(territory.town, f"新村{i}", f"341204100{i + 200:03d}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("home"))
    assert len(response.context["roots"][0].child_rows) == 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_home_without_post(client):
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["roots"] == [] and response.context["grids"] == []


def test_menu_follows_capabilities(territory):
    volunteer = user_with_post(territory.grid_a1, "volunteer")
    staff = user_with_post(territory.town, "department_staff")
    names = {i.url for i in build_menu(volunteer, "/")}
    assert reverse("people:household_list") in names
    assert reverse("areas:list") in names
    staff_names = {i.url for i in build_menu(staff, "/")}
    assert reverse("people:household_list") not in staff_names
    active = [i for i in build_menu(volunteer, "/people/households/3/") if i.active]
    assert [i.url for i in active] == [reverse("people:household_list")]


def test_the_kept_menu_follows_posts_flags_and_language(territory):
    from django.utils import translation

    volunteer = user_with_post(territory.grid_a1, "volunteer")
    admin_url = reverse("admin:index")
    assert reverse("io:index") not in {i.url for i in build_menu(volunteer, "/")}
    # A new post is a change of the posts: the menu follows at once.
    PostFactory(user=volunteer, area=territory.town, role="town_admin")
    volunteer = type(volunteer).objects.get(pk=volunteer.pk)  # a new request's user
    assert reverse("io:index") in {i.url for i in build_menu(volunteer, "/")}
    assert admin_url not in {i.url for i in build_menu(volunteer, "/")}
    volunteer.is_staff = True
    volunteer.save()
    assert admin_url in {i.url for i in build_menu(volunteer, "/")}
    with translation.override("en"):
        assert "Households" in {i.label for i in build_menu(volunteer, "/")}
    with translation.override("zh-hans"):
        assert "Households" not in {i.label for i in build_menu(volunteer, "/")}


def test_language_switch_to_english(client, territory):
    client.force_login(user_with_post(territory.grid_a1, "grid_worker"))
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Households" in client.get(reverse("home")).content.decode()


def test_404_page_is_friendly(client, territory, settings):
    settings.DEBUG = False
    client.force_login(user_with_post(territory.grid_a1, "grid_worker"))
    response = client.get("/people/households/999999/")
    assert response.status_code == 404
    assert "404" in response.content.decode()
    assert 'class="topbar"' in response.content.decode()


def test_menu_shows_my_party_work_to_party_members_only(territory):
    import datetime as dt

    from wangge.party import services as party_services
    from wangge.party.choices import OrgKind

    town = party_services.org_create(
        actor=None, parent=None, name="程集镇党委", kind=OrgKind.TOWN_COMMITTEE, area=territory.town
    )
    branch = party_services.org_create(
        actor=None,
        parent=town,
        name="王庄村党支部",
        kind=OrgKind.VILLAGE_BRANCH,
        area=territory.village_b,
    )
    worker = user_with_post(territory.grid_a1, "grid_worker")
    other = user_with_post(territory.grid_a1, "grid_worker")
    party_services.member_create(
        actor=None, org=branch, name="党员甲", join_date=dt.date(2010, 7, 1), user=worker
    )
    assert reverse("party:me") in {i.url for i in build_menu(worker, "/")}
    assert reverse("party:me") not in {i.url for i in build_menu(other, "/")}
