"""Who handles a case: the rules of assignment 派单.

On a grid: the grid's worker on duty (full-time before part-time). When the grid's workers are
all on leave, the AB partner grid's worker stands in (相邻网格互为AB角). An urgent case outside
duty hours goes to the village's on-call team (8小时之外由村级队伍担负), failing that to the
village grid chief. A normal case outside duty hours waits for the grid's own worker.
Above the grid, the chief of the level's area takes it.

The rules read a `Roster`: the posts, leave and duty hours of everyone a case could go to,
kept in each process's memory (read again when any of them changes) and applied there to a
whole batch of new cases (the intake worker routes hundreds at once); `route` and
`level_chief` use it for a single case, so that one case and a batch follow the same rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from wangge.accounts.choices import GRID_WORKER_ROLES, Role
from wangge.accounts.models import ROSTER_GENERATION, DutyHours, Leave, Post, User
from wangge.accounts.selectors import on_duty_at, on_leave_at
from wangge.areas.models import Area
from wangge.core import generations

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


@dataclass(frozen=True)
class Routed:
    """A roster's decision: the handler's user id (None: nobody) and why."""

    handler_id: int | None
    reason: str


@dataclass(frozen=True)
class _Holder:
    """A post as the roster needs it: whose, which role, when, on call or not."""

    user_id: int
    role: str
    start_date: dt.date
    end_date: dt.date | None
    on_call: bool


def _level_path(grid: Area, level: str) -> str:
    return grid.path[: LEVEL_PATH_LENGTH[Level(level)]]


class Roster:
    """The people who may take cases on a set of grids at some moments: the posts (on the
    grids, their AB partners, their villages and the areas of the levels asked for), with the
    leave and duty hours of the post holders. Built from this process's copy of the county's
    roster, read again when a post, a leave, duty hours or a user change; the rules below run
    in memory."""

    def __init__(self, posts, leaves, duty, level_area_ids: dict[str, int]):
        self._posts_by_area: dict[int, list[_Holder]] = defaultdict(list)
        # (area id, user id, role, from, to, on call, user active), by seniority of the post
        for area_id, user_id, role, start, end, on_call, active in posts:
            if active:
                self._posts_by_area[area_id].append(_Holder(user_id, role, start, end, on_call))
        self._leaves: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
        for user_id, start, end in leaves:
            self._leaves[user_id].append((start, end))
        self._duty: dict[int, list[tuple[int, dt.time, dt.time]]] = defaultdict(list)
        for user_id, weekday, start, end in duty:
            self._duty[user_id].append((weekday, start, end))
        self._level_area_ids = level_area_ids

    @classmethod
    def load(cls, grids: Iterable[Area], *, moments: Iterable[dt.datetime], levels=()) -> Roster:
        """The roster for new cases on `grids` at `moments`: the people from this process's
        copy of the whole roster (see _everyone), the level areas in one query if asked."""
        grids = list(grids)
        level_paths = {
            _level_path(grid, level) for grid in grids for level in levels if level != Level.GRID
        }
        level_area_ids = (
            dict(Area.objects.filter(path__in=level_paths).values_list("path", "id"))
            if level_paths
            else {}
        )
        moments = list(moments)
        everyone = generations.cached(ROSTER_GENERATION, _everyone)
        if moments and min(timezone.localdate(m) for m in moments) < everyone.since:
            # Cases dated before the copy's window (imports, tests): read them afresh.
            everyone = _everyone("", since=min(timezone.localdate(m) for m in moments))
        roster = cls.__new__(cls)
        roster._posts_by_area = everyone.posts_by_area
        roster._leaves = everyone.leaves
        roster._duty = everyone.duty
        roster._level_area_ids = level_area_ids
        return roster

    # -- facts about people (by user id) -------------------------------------------------

    def on_leave(self, user_id: int, at: dt.datetime) -> bool:
        return on_leave_at(self._leaves.get(user_id, ()), at)

    def on_duty(self, user_id: int, at: dt.datetime) -> bool:
        return on_duty_at(self._duty.get(user_id, ()), self._leaves.get(user_id, ()), at)

    def _holders(self, area_id: int | None, at: dt.datetime, *, roles=None, on_call=None):
        """Posts held on the area at `at` by active users (each user once, by seniority)."""
        day = timezone.localdate(at, timezone.get_default_timezone())
        seen, out = set(), []
        for post in self._posts_by_area.get(area_id, ()):
            if post.start_date > day or (post.end_date is not None and post.end_date < day):
                continue
            if roles is not None and post.role not in roles:
                continue
            if on_call is not None and post.on_call != on_call:
                continue
            if post.user_id not in seen:
                seen.add(post.user_id)
                out.append(post)
        return out

    def grid_workers(self, grid_id: int | None, at: dt.datetime) -> list[int]:
        holders = self._holders(grid_id, at, roles=GRID_WORKER_ROLES)
        # Full-time (grid_worker) before part-time (grid_worker_part), then seniority.
        holders.sort(key=lambda p: GRID_WORKER_ROLES.index(p.role))
        return [p.user_id for p in holders]

    def first_by_role(self, area_id: int | None, roles, at: dt.datetime) -> int | None:
        """The first user (by role preference, then seniority of the post) not on leave."""
        roles = list(roles)
        holders = self._holders(area_id, at, roles=roles)
        holders.sort(key=lambda p: roles.index(p.role))
        return next((p.user_id for p in holders if not self.on_leave(p.user_id, at)), None)

    def on_call(self, area_id: int | None, at: dt.datetime) -> int | None:
        return next(
            (
                p.user_id
                for p in self._holders(area_id, at, on_call=True)
                if not self.on_leave(p.user_id, at)
            ),
            None,
        )

    # -- the rules ---------------------------------------------------------------------------

    def level_chief(self, grid: Area, level: str, at: dt.datetime) -> int | None:
        area_id = self._level_area_ids.get(_level_path(grid, level))
        return self.first_by_role(area_id, LEVEL_ROLES[Level(level)], at)

    def route(self, *, grid: Area, level: str, urgency: str, at: dt.datetime, reporter=None):
        """Pick the handler of a new case on `grid` at `level`: a Routed (a user id)."""
        if level != Level.GRID:
            return Routed(self.level_chief(grid, level, at), Reason.LEVEL_CHIEF)

        workers = self.grid_workers(grid.pk, at)
        reporter_id = getattr(reporter, "pk", None)
        if reporter_id is not None and reporter_id in workers:
            # A grid worker reporting on their own grid (patrol) handles it themselves.
            return Routed(reporter_id, Reason.REPORTER)
        available = [w for w in workers if not self.on_leave(w, at)]
        on_duty = [w for w in available if self.on_duty(w, at)]
        if on_duty:
            return Routed(on_duty[0], Reason.ON_DUTY)

        urgent = urgency == Urgency.URGENT
        if not available and grid.ab_partner_id:
            partner = [
                w for w in self.grid_workers(grid.ab_partner_id, at) if not self.on_leave(w, at)
            ]
            partner_on_duty = [w for w in partner if self.on_duty(w, at)]
            if partner_on_duty:
                return Routed(partner_on_duty[0], Reason.AB_PARTNER)
            if partner and not urgent:
                return Routed(partner[0], Reason.AB_PARTNER)

        village_roles = LEVEL_ROLES[Level.VILLAGE]
        if urgent and grid.parent_id:
            member = self.on_call(grid.parent_id, at)
            if member is not None:
                return Routed(member, Reason.ON_CALL)
            chief = self.first_by_role(grid.parent_id, village_roles, at)
            if chief is not None:
                return Routed(chief, Reason.GRID_CHIEF)

        if available:
            return Routed(available[0], Reason.QUEUED)
        if grid.parent_id:
            chief = self.first_by_role(grid.parent_id, village_roles, at)
            if chief is not None:
                return Routed(chief, Reason.GRID_CHIEF)
        return Routed(None, Reason.NOBODY)


@dataclass
class _Everyone:
    since: dt.date
    posts_by_area: dict
    leaves: dict
    duty: dict


def _everyone(_token: str, *, since: dt.date | None = None) -> _Everyone:
    """Every post not ended before `since` (yesterday by default) with its holder's active
    flag, every leave not over, every duty hour: a county's roster is a few thousand rows,
    read again only when one of them changes (accounts.models.roster_changed)."""
    since = since or timezone.localdate() - dt.timedelta(days=1)
    posts = (
        Post.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=since))
        .order_by("id")
        .values_list(
            "area_id", "user_id", "role", "start_date", "end_date", "on_call", "user__is_active"
        )
    )
    start_of_since = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    leaves = Leave.objects.filter(end__gt=start_of_since).values_list("user_id", "start", "end")
    duty = DutyHours.objects.values_list("user_id", "weekday", "start", "end")
    roster = Roster(posts, leaves, duty, {})
    return _Everyone(since, roster._posts_by_area, roster._leaves, roster._duty)


def _user(user_id: int | None):
    return User.objects.get(pk=user_id) if user_id is not None else None


def level_chief(grid: Area, level: str, at=None) -> object | None:
    at = at or timezone.now()
    return _user(Roster.load([grid], moments=[at], levels=[level]).level_chief(grid, level, at))


def route(*, grid: Area, level: str, urgency: str, at=None, reporter=None) -> Assignment:
    """Pick the handler of a new case on `grid` at `level` (a User, or None)."""
    at = at or timezone.now()
    roster = Roster.load([grid], moments=[at], levels=[level])
    routed = roster.route(grid=grid, level=level, urgency=urgency, at=at, reporter=reporter)
    if reporter is not None and routed.handler_id == reporter.pk:
        return Assignment(reporter, routed.reason)
    return Assignment(_user(routed.handler_id), routed.reason)


def department_staff(department) -> list:
    """The active staff of a department: those told when a case is dispatched to it."""
    posts = (
        Post.objects.active()
        .filter(role=Role.DEPARTMENT_STAFF, department=department)
        .select_related("user")
        .order_by("id")
    )
    seen, users = set(), []
    for post in posts:
        if post.user_id not in seen and post.user.is_active:
            seen.add(post.user_id)
            users.append(post.user)
    return users
