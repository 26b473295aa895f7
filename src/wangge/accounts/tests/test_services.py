import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from wangge.accounts import selectors, services
from wangge.accounts.choices import ROLE_LEVELS, Role
from wangge.accounts.models import Department, DutyHours, Post
from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.models import AuditEntry
from wangge.testing.factories import UserFactory, user_with_post

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _area(territory, level):
    return {
        "county": territory.county,
        "town": territory.town,
        "village": territory.village_a,
        "grid": territory.grid_a1,
    }.get(level)


# ---------------------------------------------------------------- posts


@pytest.mark.parametrize("role", list(Role.values))
def test_every_role_fits_its_levels_and_no_other(territory, role):
    department = Department.objects.create(name="派出所", code="police", area=territory.town)
    for level in ("county", "town", "village", "grid"):
        area = _area(territory, level)
        kwargs = dict(actor=None, user=UserFactory(), area=area, role=role, department=department)
        if level in ROLE_LEVELS[role]:
            assert services.post_create(**kwargs).area == area
        else:
            with pytest.raises(DomainError) as exc:
                services.post_create(**kwargs)
            assert exc.value.field == "area"


def test_post_rules(territory):
    user = UserFactory()
    with pytest.raises(DomainError) as exc:
        services.post_create(actor=None, user=user, area=territory.grid_a1, role="mayor")
    assert exc.value.field == "role"
    with pytest.raises(DomainError) as exc:
        services.post_create(actor=None, user=user, area=territory.town, role=Role.DEPARTMENT_STAFF)
    assert exc.value.field == "department"
    with pytest.raises(DomainError) as exc:
        services.post_create(
            actor=None,
            user=user,
            area=territory.grid_a1,
            role=Role.GRID_WORKER,
            start_date=dt.date(2025, 5, 1),
            end_date=dt.date(2025, 4, 1),
        )
    assert exc.value.field == "end_date"


def test_posts_are_created_only_inside_the_managers_scope(territory):
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    post = services.post_create(
        actor=chief, user=UserFactory(), area=territory.grid_a2, role=Role.GRID_WORKER
    )
    assert AuditEntry.objects.filter(verb="post.create", actor=chief, object_id=str(post.pk))
    with pytest.raises(PermissionDenied):
        services.post_create(
            actor=chief, user=UserFactory(), area=territory.grid_b1, role=Role.GRID_WORKER
        )
    worker = user_with_post(territory.grid_a1, Role.GRID_WORKER)  # no manage_posts
    with pytest.raises(PermissionDenied):
        services.post_create(
            actor=worker, user=UserFactory(), area=territory.grid_a1, role=Role.VOLUNTEER
        )


def test_post_end(territory):
    worker = user_with_post(territory.grid_a1, Role.GRID_WORKER)
    post = worker.posts.get()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    services.post_end(actor=None, post=post, end_date=yesterday)
    post.refresh_from_db()
    assert post.end_date == yesterday
    assert AuditEntry.objects.filter(verb="post.end", object_id=str(post.pk)).exists()
    fresh = type(worker).objects.get(pk=worker.pk)  # posts are cached per user object
    assert selectors.user_scope(fresh).is_empty
    with pytest.raises(DomainError):
        services.post_end(actor=None, post=post, end_date=yesterday)
    with pytest.raises(DomainError) as exc:
        services.post_end(actor=None, post=post, end_date=post.start_date - dt.timedelta(days=1))
    assert exc.value.field == "end_date"


def test_post_end_can_shorten_a_post_that_ends_later(territory):
    worker = user_with_post(territory.grid_a1, Role.GRID_WORKER)
    post = worker.posts.get()
    Post.objects.filter(pk=post.pk).update(end_date=timezone.localdate() + dt.timedelta(days=30))
    services.post_end(actor=None, post=post)
    post.refresh_from_db()
    assert post.end_date == timezone.localdate()


# ---------------------------------------------------------------- scope


def test_scope_of_nested_posts_is_the_outer_one(territory):
    user = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    services.post_create(actor=None, user=user, area=territory.grid_a1, role=Role.VOLUNTEER)
    user = type(user).objects.get(pk=user.pk)
    scope = selectors.user_scope(user)
    assert scope.paths == (territory.village_a.path,)
    assert scope.covers(territory.grid_a2.path) and not scope.covers(territory.grid_b1.path)
    assert selectors.user_scope(user, "manage_areas").is_empty


# ---------------------------------------------------------------- leave and duty


def _at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def test_leave_overlap_is_refused(territory):
    user = UserFactory()
    services.leave_create(actor=None, user=user, start=_at(2025, 5, 6, 8), end=_at(2025, 5, 8, 18))
    with pytest.raises(DomainError) as exc:
        services.leave_create(
            actor=None, user=user, start=_at(2025, 5, 8, 9), end=_at(2025, 5, 9, 18)
        )
    assert exc.value.field == "start"
    # Back to back is not an overlap.
    services.leave_create(actor=None, user=user, start=_at(2025, 5, 8, 18), end=_at(2025, 5, 9))
    # Another user's leave does not count.
    services.leave_create(
        actor=None, user=UserFactory(), start=_at(2025, 5, 7), end=_at(2025, 5, 8)
    )
    with pytest.raises(DomainError) as exc:
        services.leave_create(actor=None, user=user, start=_at(2025, 6, 1), end=_at(2025, 6, 1))
    assert exc.value.field == "end"


def test_is_on_duty_default_hours(territory):
    user = UserFactory()
    assert selectors.is_on_duty(user, _at(2025, 5, 7, 9))  # a Wednesday morning
    assert not selectors.is_on_duty(user, _at(2025, 5, 7, 19))  # evening
    assert not selectors.is_on_duty(user, _at(2025, 5, 10, 10))  # Saturday


def test_is_on_duty_with_duty_hours_and_leave(territory):
    user = UserFactory()
    services.duty_hours_set(
        actor=None,
        user=user,
        hours=[(5, dt.time(8), dt.time(12))],  # Saturday mornings only
    )
    assert DutyHours.objects.filter(user=user).count() == 1
    assert selectors.is_on_duty(user, _at(2025, 5, 10, 9))
    assert not selectors.is_on_duty(user, _at(2025, 5, 7, 9))  # weekday: not their hours
    services.leave_create(actor=None, user=user, start=_at(2025, 5, 10, 0), end=_at(2025, 5, 11))
    assert not selectors.is_on_duty(user, _at(2025, 5, 10, 9))
    assert selectors.is_on_leave(user, _at(2025, 5, 10, 9))
    with pytest.raises(DomainError):
        services.duty_hours_set(actor=None, user=user, hours=[(1, dt.time(12), dt.time(8))])


# ---------------------------------------------------------------- users


def test_user_create(territory):
    user = services.user_create(actor=None, username=" wang ", full_name="王", password=None)
    assert user.username == "wang" and not user.has_usable_password()
    with pytest.raises(DomainError) as exc:
        services.user_create(actor=None, username="WANG")
    assert exc.value.field == "username"
    with pytest.raises(DomainError) as exc:
        services.user_create(actor=None, username="li", password="123")
    assert exc.value.field == "password"
