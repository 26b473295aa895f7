"""Reads about users and the scope rule: a post on an area covers its subtree."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from wangge.core import generations

from .choices import GRID_WORKER_ROLES, ROLE_CAPABILITIES
from .models import POSTS_GENERATION, Leave, Post, User


@dataclass(frozen=True)
class Scope:
    """The area subtrees a user may act on. `paths is None` means everything (superuser)."""

    paths: tuple[str, ...] | None

    @property
    def is_global(self) -> bool:
        return self.paths is None

    @property
    def is_empty(self) -> bool:
        return self.paths is not None and not self.paths

    def q(self, field: str = "area_path") -> Q:
        if self.paths is None:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        q = Q()
        for p in self.paths:
            q |= Q(**{f"{field}__startswith": p})
        return q

    def covers(self, path: str) -> bool:
        return self.paths is None or any(path.startswith(p) for p in self.paths)


def _minimal(paths) -> tuple[str, ...]:
    out: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return tuple(sorted(out))


def _posts_by_user(_token: str) -> dict:
    return {}


def active_posts(user) -> list[Post]:
    """The user's active posts with their areas: read once per user and day into this
    process's memory (core.generations; every write of a post, and every move of an area,
    starts afresh), and kept on the user object for the request. Every page and API call
    asks (the menu, the scope of every list), so it must not cost a query each time."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_wangge_posts", None)
    if cached is None:
        posts = kept_for_user(
            user,
            "posts",
            lambda day: list(
                Post.objects.active(day).filter(user=user).select_related("area", "department")
            ),
        )
        cached = list(posts)
        user._wangge_posts = cached
    return cached


def kept_for_user(user, kind: str, build):
    """`build(day)`, kept in this process for the user and the day (the county's) until
    their posts or the areas change (the posts' generation): the user's posts
    (active_posts) and what pages derive from them on every view (the menu, the dispatch
    board's list of areas)."""
    day = timezone.localdate(timezone=timezone.get_default_timezone())
    table = generations.cached(POSTS_GENERATION, _posts_by_user)
    key = (kind, user.pk, day)
    found = table.get(key)
    if found is None:
        if len(table) >= 20_000:  # a day's worth of users; yesterday's go first
            table.clear()
        found = table[key] = build(day)
    return found


def user_scope(user, capability: str | None = None) -> Scope:
    """The scope in which `user` holds `capability` (or any post at all when None)."""
    if not getattr(user, "is_authenticated", False):
        return Scope(())
    if user.is_superuser:
        return Scope(None)
    paths = [
        p.area.path
        for p in active_posts(user)
        if capability is None or capability in ROLE_CAPABILITIES.get(p.role, set())
    ]
    return Scope(_minimal(paths))


def user_roles(user) -> set[str]:
    return {p.role for p in active_posts(user)}


def user_has_capability(user, capability: str) -> bool:
    return not user_scope(user, capability).is_empty


def users_for_user(*, user) -> QuerySet[User]:
    """Users holding a post inside the viewer's management scope."""
    scope = user_scope(user, "manage_posts")
    if scope.is_global:
        return User.objects.all()
    return User.objects.filter(
        pk__in=Post.objects.active().filter(scope.q("area__path")).values("user_id")
    ).distinct()


def posts_for_user(*, user) -> QuerySet[Post]:
    scope = user_scope(user, "manage_posts")
    return Post.objects.filter(scope.q("area__path")).select_related("user", "area", "department")


# Duty hours of a user who has set none: the working week, 08:00–18:00.
DEFAULT_DUTY_HOURS = (8, 18)


def on_leave_at(leaves, at) -> bool:
    """Whether `at` falls in one of the (start, end) leave spans."""
    return any(start <= at < end for start, end in leaves)


def on_duty_at(hours, leaves, at) -> bool:
    """On duty: not on leave, and inside the duty hours ((weekday, start, end), all of the
    user's) for that weekday; with none set at all, the default working day applies. The
    rule for one user (is_on_duty) and for a roster in memory (cases.routing.Roster)."""
    if on_leave_at(leaves, at):
        return False
    local = timezone.localtime(at, timezone.get_default_timezone())
    if not hours:
        start, end = DEFAULT_DUTY_HOURS
        return local.weekday() < 5 and start <= local.hour < end
    t = local.time()
    return any(w == local.weekday() and s <= t < e for w, s, e in hours)


def is_on_leave(user, at=None) -> bool:
    at = at or timezone.now()
    return Leave.objects.filter(user=user, start__lte=at, end__gt=at).exists()


def is_on_duty(user, at=None) -> bool:
    """On duty at `at` (now by default): see on_duty_at."""
    at = at or timezone.now()
    hours = list(user.duty_hours.values_list("weekday", "start", "end"))
    leaves = Leave.objects.filter(user=user, start__lte=at, end__gt=at).values_list("start", "end")
    return on_duty_at(hours, list(leaves), at)


def grid_workers(grid, on=None) -> QuerySet[User]:
    """Grid workers with an active post on exactly this grid (full-time first)."""
    return User.objects.filter(
        posts__in=Post.objects.active(on).filter(area=grid, role__in=GRID_WORKER_ROLES)
    ).distinct()
