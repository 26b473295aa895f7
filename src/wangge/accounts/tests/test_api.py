import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.accounts.models import Post
from wangge.testing.api import FAST_PASSWORD_HASHERS, api_client, ids
from wangge.testing.factories import PostFactory, UserFactory, user_with_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The production hasher costs ~0.3 s per user; these tests make hundreds of users.
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


def test_token_login(territory):
    user = UserFactory(username="zhang")
    response = api_client().post(
        "/api/auth/token/", {"username": "zhang", "password": "wangge-pass-123"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = api_client().get("/api/users/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200 and me.json()["id"] == user.pk


def test_token_login_with_a_wrong_password_is_a_clear_400(territory):
    UserFactory(username="zhang")
    response = api_client().post(
        "/api/auth/token/", {"username": "zhang", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["detail"]


def test_me_lists_active_posts_with_roles(territory):
    user = user_with_post(territory.grid_a1, Role.GRID_WORKER)
    PostFactory(
        user=user,
        area=territory.village_a,
        role=Role.VOLUNTEER,
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2020, 12, 31),
    )
    data = api_client(user).get("/api/users/me/").json()
    assert data["username"] == user.username
    assert [(p["role"], p["area"]["id"]) for p in data["posts"]] == [
        (Role.GRID_WORKER, territory.grid_a1.pk)
    ]
    assert data["posts"][0]["role_display"]
    assert "edit_people" in data["capabilities"]
    assert "manage_areas" not in data["capabilities"]


def test_posts_list_is_scoped_to_manage_posts(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    worker = user_with_post(territory.grid_a1, Role.GRID_WORKER)
    user_with_post(territory.grid_b1, Role.GRID_WORKER)
    posts = ids(api_client(chief).get("/api/posts/"))
    expected = set(
        Post.objects.filter(area__path__startswith=territory.village_a.path).values_list(
            "pk", flat=True
        )
    )
    assert posts == expected and len(expected) == 2
    # A grid worker manages no posts: the list is empty and their own is under /users/me/.
    assert ids(api_client(worker).get("/api/posts/")) == set()


def test_users_list_is_scoped(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    worker = user_with_post(territory.grid_a1, Role.GRID_WORKER)
    outsider = user_with_post(territory.grid_b1, Role.GRID_WORKER)
    client = api_client(chief)
    assert ids(client.get("/api/users/")) == {chief.pk, worker.pk}
    assert client.get(f"/api/users/{outsider.pk}/").status_code == 404


def test_post_create_and_end(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    newcomer = UserFactory()
    client = api_client(chief)
    response = client.post(
        "/api/posts/",
        {"user": newcomer.pk, "area": territory.grid_a2.pk, "role": Role.GRID_WORKER_PART},
        format="json",
    )
    assert response.status_code == 201, response.json()
    post_id = response.json()["id"]
    assert response.json()["user"]["id"] == newcomer.pk
    today = timezone.localdate()
    response = client.post(f"/api/posts/{post_id}/end/", {"end_date": today.isoformat()})
    assert response.status_code == 200, response.json()
    assert response.json()["end_date"] == today.isoformat()
    again = client.post(f"/api/posts/{post_id}/end/", {"end_date": today.isoformat()})
    assert again.status_code == 400


def test_post_on_the_wrong_level_is_400_with_the_field(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    response = api_client(chief).post(
        "/api/posts/",
        {"user": UserFactory().pk, "area": territory.village_a.pk, "role": Role.GRID_WORKER},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "area"


def test_post_create_without_manage_posts_is_403(territory):
    worker = user_with_post(territory.grid_a1, Role.GRID_WORKER)
    response = api_client(worker).post(
        "/api/posts/",
        {"user": UserFactory().pk, "area": territory.grid_a1.pk, "role": Role.VOLUNTEER},
        format="json",
    )
    assert response.status_code == 403


def test_post_end_out_of_scope_is_404(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    other = user_with_post(territory.grid_b1, Role.GRID_WORKER).posts.get()
    assert api_client(chief).post(f"/api/posts/{other.pk}/end/").status_code == 404


def test_posts_list_query_count_is_constant(territory):
    admin = user_with_post(territory.town, Role.TOWN_ADMIN)
    client = api_client(admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/posts/").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        user_with_post(territory.grid_a1, Role.GRID_WORKER)
    few = count()
    for _ in range(23):
        user_with_post(territory.grid_b1, Role.VOLUNTEER)
    assert count() == few
