"""What each process keeps in memory about users (core.generations) follows every way of
writing them: instance saves, queryset updates and deletes, services."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wangge.accounts import services
from wangge.accounts.models import DutyHours, Leave, Post, User
from wangge.accounts.selectors import active_posts
from wangge.areas.services import area_set_ab_partners
from wangge.cases import routing
from wangge.testing.factories import PostFactory, user_with_post

pytestmark = pytest.mark.django_db


def _fresh(user):
    return User.objects.get(pk=user.pk)  # a new request's user object


def test_active_posts_are_read_once_then_follow_every_change(territory):
    worker = user_with_post(territory.grid_a1, "grid_worker")
    assert [p.area for p in active_posts(_fresh(worker))] == [territory.grid_a1]
    with CaptureQueriesContext(connection) as q:
        assert len(active_posts(_fresh(worker))) == 1
    assert not [x for x in q.captured_queries if "accounts_post" in x["sql"]]

    PostFactory(user=worker, area=territory.grid_a2, role="grid_worker")  # a save
    assert len(active_posts(_fresh(worker))) == 2
    Post.objects.filter(user=worker, area=territory.grid_a2).update(
        end_date=timezone.localdate() - dt.timedelta(days=1)
    )  # a queryset update: no signal, announced by the queryset
    assert [p.area for p in active_posts(_fresh(worker))] == [territory.grid_a1]
    Post.objects.filter(user=worker).delete()
    assert active_posts(_fresh(worker)) == []


def test_a_renamed_area_is_seen_in_the_posts(territory):
    worker = user_with_post(territory.grid_a1, "grid_worker")
    active_posts(_fresh(worker))
    territory.grid_a1.name = "新名字"
    territory.grid_a1.save()
    assert active_posts(_fresh(worker))[0].area.name == "新名字"


def _api(user):
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client, token


def test_token_users_are_read_once_and_each_request_gets_its_own(territory):
    user = user_with_post(territory.town, "town_admin")
    client, _token = _api(user)
    assert client.get("/api/areas/").status_code == 200
    with CaptureQueriesContext(connection) as q:
        assert client.get("/api/areas/").status_code == 200
    assert not [x for x in q.captured_queries if "authtoken_token" in x["sql"]]


@pytest.mark.parametrize("how", ["save", "update", "token_deleted"])
def test_a_deactivated_user_or_revoked_token_is_refused_at_once(territory, how):
    user = user_with_post(territory.town, "town_admin")
    client, token = _api(user)
    assert client.get("/api/areas/").status_code == 200
    if how == "save":
        user.is_active = False
        user.save()
    elif how == "update":
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        token.delete()
    assert client.get("/api/areas/").status_code in (401, 403)


@pytest.mark.parametrize(
    "header, status, detail",
    [
        ("Token", 401, "Invalid token header. No credentials provided."),
        ("Token a b", 401, "Invalid token header. Token string should not contain spaces."),
        ("Token k\u00e9y", 401, "Invalid token"),  # not a token of anybody
        ("token {key}", 200, None),  # the keyword in any case, as DRF takes it
        ("Bearer {key}", 401, None),  # another scheme: not this authentication's business
    ],
)
def test_the_authorization_header_is_read_as_drf_reads_it(territory, header, status, detail):
    user = user_with_post(territory.town, "town_admin")
    client, token = _api(user)
    client.credentials(HTTP_AUTHORIZATION=header.format(key=token.key))
    response = client.get("/api/areas/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status, response.content
    if detail:
        assert response.json()["detail"].startswith(detail)


def test_a_login_does_not_empty_the_caches(territory, client):
    from wangge.core.models import Generation

    user = user_with_post(territory.town, "town_admin")
    before = Generation.objects.filter(name="accounts.users").values_list("token", flat=True)
    before = list(before)
    client.force_login(user)  # saves last_login only
    assert (
        list(Generation.objects.filter(name="accounts.users").values_list("token", flat=True))
        == before
    )


def test_routing_follows_leave_duty_hours_and_posts_at_once(territory):
    now = timezone.now()
    grid = territory.grid_a1
    area_set_ab_partners(actor=None, grid=grid, partner=territory.grid_a2)
    grid.refresh_from_db()
    worker = user_with_post(grid, "grid_worker")
    partner = user_with_post(territory.grid_a2, "grid_worker")
    always = [(d, dt.time(0, 0), dt.time(23, 59, 59)) for d in range(7)]
    services.duty_hours_set(actor=None, user=worker, hours=always)
    services.duty_hours_set(actor=None, user=partner, hours=always)

    def handler():
        return routing.route(grid=grid, level="grid", urgency="normal", at=now).handler

    assert handler() == worker
    leave = services.leave_create(
        actor=None, user=worker, start=now - dt.timedelta(hours=1), end=now + dt.timedelta(days=1)
    )
    assert handler() == partner  # on leave: the AB partner stands in
    Leave.objects.filter(pk=leave.pk).delete()
    assert handler() == worker
    DutyHours.objects.filter(user=worker).delete()
    DutyHours.objects.create(
        user=worker,
        weekday=(timezone.localtime(now).weekday() + 1) % 7,
        start=dt.time(0),
        end=dt.time(1),
    )
    a = routing.route(grid=grid, level="grid", urgency="normal", at=now)
    assert (a.handler, a.reason) == (worker, routing.Reason.QUEUED)  # off duty: waits for them
    User.objects.filter(pk=worker.pk).update(is_active=False)
    assert handler() == partner
