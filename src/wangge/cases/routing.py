"""Who handles a case: the rules of assignment 派单.

On a grid: the grid's worker on duty (full-time before part-time). When the grid's workers are
all on leave, the AB partner grid's worker stands in (相邻网格互为AB角). An urgent case outside
duty hours goes to the village's on-call team (8小时之外由村级队伍担负), failing that to the
village grid chief. A normal case outside duty hours waits for the grid's own worker.
Above the grid, the chief of the level's area takes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from wangge.accounts.choices import GRID_WORKER_ROLES, Role
from wangge.accounts.models import Post
from wangge.accounts.selectors import is_on_duty, is_on_leave
from wangge.areas.models import Area

from .choices import LEVEL_PATH_LENGTH, Level, Urgency

# Who takes a case at each level above the grid, in order of preference.
LEVEL_ROLES = {
    Level.VILLAGE: (Role.VILLAGE_GRID_CHIEF, Role.STATIONED_CADRE),
    Level.TOWN: (Role.TOWN_GRID_CHIEF, Role.TOWN_ADMIN),
    Level.COUNTY: (Role.COUNTY_ADMIN,),
}


class Reason:
    ON_DUTY = "on_duty"
    REPORTER = "reporter"
    AB_PARTNER = "ab_partner"
    ON_CALL = "on_call"
    GRID_CHIEF = "grid_chief"
    QUEUED = "queued"
    LEVEL_CHIEF = "level_chief"
    NOBODY = "nobody"


@dataclass(frozen=True)
class Assignment:
    handler: object | None
    reason: str


def area_for_level(grid: Area, level: str) -> Area:
    """The ancestor of `grid` that stands for a 三事分流 level."""
    if level == Level.GRID:
        return grid
    return Area.objects.get(path=grid.path[: LEVEL_PATH_LENGTH[Level(level)]])


def _users(posts) -> list:
    seen, users = set(), []
    for post in posts:
        if post.user_id not in seen and post.user.is_active:
            seen.add(post.user_id)
            users.append(post.user)
    return users


def _grid_workers(grid: Area, at) -> list:
    posts = (
        Post.objects.active(timezone.localdate(at))
        .filter(area=grid, role__in=GRID_WORKER_ROLES)
        .select_related("user")
        .order_by("role", "id")  # grid_worker (full-time) sorts before grid_worker_part
    )
    return _users(posts)


def _first_by_role(area: Area, roles, at) -> object | None:
    """The first user (by role preference, then seniority of the post) not on leave."""
    roles = list(roles)
    posts = sorted(
        Post.objects.active(timezone.localdate(at))
        .filter(area=area, role__in=roles)
        .select_related("user")
        .order_by("id"),
        key=lambda p: roles.index(p.role),
    )
    for user in _users(posts):
        if not is_on_leave(user, at):
            return user
    return None


def _on_call(village: Area, at) -> object | None:
    posts = (
        Post.objects.active(timezone.localdate(at))
        .filter(area=village, on_call=True)
        .select_related("user")
        .order_by("id")
    )
    for user in _users(posts):
        if not is_on_leave(user, at):
            return user
    return None


def level_chief(grid: Area, level: str, at=None) -> object | None:
    at = at or timezone.now()
    area = area_for_level(grid, level)
    return _first_by_role(area, LEVEL_ROLES[Level(level)], at)


def route(*, grid: Area, level: str, urgency: str, at=None, reporter=None) -> Assignment:
    """Pick the handler of a new case on `grid` at `level`."""
    at = at or timezone.now()
    if level != Level.GRID:
        return Assignment(level_chief(grid, level, at), Reason.LEVEL_CHIEF)

    workers = _grid_workers(grid, at)
    if reporter is not None and any(w.pk == reporter.pk for w in workers):
        # A grid worker reporting on their own grid (patrol) handles it themselves.
        return Assignment(reporter, Reason.REPORTER)
    available = [w for w in workers if not is_on_leave(w, at)]
    on_duty = [w for w in available if is_on_duty(w, at)]
    if on_duty:
        return Assignment(on_duty[0], Reason.ON_DUTY)

    urgent = urgency == Urgency.URGENT
    if not available and grid.ab_partner_id:
        partner_workers = [w for w in _grid_workers(grid.ab_partner, at) if not is_on_leave(w, at)]
        partner_on_duty = [w for w in partner_workers if is_on_duty(w, at)]
        if partner_on_duty:
            return Assignment(partner_on_duty[0], Reason.AB_PARTNER)
        if partner_workers and not urgent:
            return Assignment(partner_workers[0], Reason.AB_PARTNER)

    village = grid.parent
    if urgent and village is not None:
        member = _on_call(village, at)
        if member is not None:
            return Assignment(member, Reason.ON_CALL)
        chief = _first_by_role(village, LEVEL_ROLES[Level.VILLAGE], at)
        if chief is not None:
            return Assignment(chief, Reason.GRID_CHIEF)

    if available:
        return Assignment(available[0], Reason.QUEUED)
    if village is not None:
        chief = _first_by_role(village, LEVEL_ROLES[Level.VILLAGE], at)
        if chief is not None:
            return Assignment(chief, Reason.GRID_CHIEF)
    return Assignment(None, Reason.NOBODY)


def department_staff(department) -> list:
    """The active staff of a department: those told when a case is dispatched to it."""
    posts = (
        Post.objects.active()
        .filter(role=Role.DEPARTMENT_STAFF, department=department)
        .select_related("user")
        .order_by("id")
    )
    return _users(posts)
