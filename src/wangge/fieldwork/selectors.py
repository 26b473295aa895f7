"""Reads of fieldwork, always through the viewer's scope.

A worker sees their own patrols, visits and reports. Officers (MANAGE_FIELDWORK, or
VIEW_ASSESSMENTS / SUPERVISE for those who only watch) see those of their area subtrees.
Anything else answers 404, like something that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Substr
from django.shortcuts import get_object_or_404
from django.utils import timezone

from wangge.accounts.choices import GRID_WORKER_ROLES, Capability
from wangge.accounts.models import Post, User
from wangge.accounts.selectors import Scope, _minimal, active_posts, user_scope
from wangge.areas.models import Area
from wangge.people.models import Household, Tag

from . import compliance
from .choices import PATROL_ROLES
from .models import DailyReport, Patrol, Pledge, PledgeCampaign, Visit

OVERSIGHT_CAPABILITIES = (
    Capability.MANAGE_FIELDWORK,
    Capability.VIEW_ASSESSMENTS,
    Capability.SUPERVISE,
)


def visit_due_days() -> int:
    """Key households not visited for this many days are due (settings, default 30)."""
    return int(getattr(settings, "WANGGE_FIELDWORK_VISIT_DUE_DAYS", 30))


def oversight_scope(user) -> Scope:
    """The subtrees where the user watches fieldwork (compliance, coverage, others' records)."""
    if not getattr(user, "is_authenticated", False):
        return Scope(())
    if user.is_superuser:
        return Scope(None)
    cached = getattr(user, "_wangge_fieldwork_scope", None)
    if cached is None:
        paths = []
        for cap in OVERSIGHT_CAPABILITIES:
            paths += list(user_scope(user, cap).paths or ())
        cached = Scope(_minimal(paths))
        user._wangge_fieldwork_scope = cached
    return cached


def can_oversee(user) -> bool:
    return not oversight_scope(user).is_empty


def can_manage(user) -> bool:
    return not user_scope(user, Capability.MANAGE_FIELDWORK).is_empty


def worker_grid_paths(user) -> list[str]:
    return _minimal(p.area.path for p in active_posts(user) if p.role in GRID_WORKER_ROLES)


def is_patroller(user) -> bool:
    return any(p.role in PATROL_ROLES for p in active_posts(user))


def _own_or_scope(user, own_field: str, path_field: str = "area_path") -> Q:
    scope = oversight_scope(user)
    if scope.is_global:
        return Q()
    return Q(**{own_field: user.pk}) | scope.q(path_field)


# -- patrols -----------------------------------------------------------------------------------


def patrols_for_user(*, user) -> QuerySet[Patrol]:
    if not getattr(user, "is_authenticated", False):
        return Patrol.objects.none()
    return Patrol.objects.filter(_own_or_scope(user, "worker_id")).select_related("worker", "area")


def patrol_get(*, user, pk) -> Patrol:
    return get_object_or_404(patrols_for_user(user=user), pk=pk)


def open_patrol(user) -> Patrol | None:
    return Patrol.objects.filter(worker=user, ended_at__isnull=True).select_related("area").first()


def patrols_today(user, today: dt.date | None = None) -> QuerySet[Patrol]:
    start, end = compliance.day_bounds(today or timezone.localdate())
    return Patrol.objects.filter(worker=user, started_at__gte=start, started_at__lt=end).order_by(
        "started_at"
    )


def patrol_route(patrol: Patrol) -> list[list[float]]:
    return [[lat, lng] for lat, lng in patrol.points.values_list("lat", "lng")]


# -- visits ------------------------------------------------------------------------------------


def visits_for_user(*, user) -> QuerySet[Visit]:
    if not getattr(user, "is_authenticated", False):
        return Visit.objects.none()
    return Visit.objects.filter(_own_or_scope(user, "visitor_id")).select_related(
        "visitor", "household", "household__grid", "member"
    )


def visit_get(*, user, pk) -> Visit:
    return get_object_or_404(
        visits_for_user(user=user).prefetch_related("needs"),
        pk=pk,
    )


def households_for_visit(*, user) -> QuerySet[Household]:
    """The households the user may visit: those under their posts, and those they are the
    contact party member of."""
    from wangge.party.selectors import member_households, member_of_user

    if not getattr(user, "is_authenticated", False):
        return Household.objects.none()
    scope = user_scope(user, Capability.VIEW_PEOPLE)
    q = scope.q("area_path")
    member = member_of_user(user)
    if member is not None:
        # My contact households 联户 (party selectors), as a subquery.
        q |= Q(pk__in=member_households(member).order_by().values("pk"))
    return Household.objects.filter(q).select_related("grid", "head")


def _last_visit():
    return Subquery(
        Visit.objects.filter(household=OuterRef("pk"))
        .order_by("-visited_at")
        .values("visited_at")[:1]
    )


def with_last_visit(qs: QuerySet[Household]) -> QuerySet[Household]:
    return qs.annotate(last_visit_at=_last_visit())


def visits_due(*, user, days: int | None = None, now=None) -> QuerySet[Household]:
    """Key households (a key tag 重点户: 困难户, 留守老人…) of the worker's grids nobody has
    visited for `days` days, the longest unvisited first."""
    days = visit_due_days() if days is None else days
    now = now or timezone.now()
    paths = worker_grid_paths(user)
    if not paths:
        return Household.objects.none()
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(area_path__startswith=p)
    recent = Visit.objects.filter(
        household=OuterRef("pk"), visited_at__gte=now - dt.timedelta(days=days)
    )
    return (
        Household.objects.filter(q)
        .filter(Exists(Tag.objects.filter(households=OuterRef("pk"), is_key=True)))
        .exclude(Exists(recent))
        .select_related("grid", "head")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.filter(is_key=True).only("id", "name"))
        )
        .annotate(last_visit_at=_last_visit())
        .order_by(
            Coalesce("last_visit_at", Value(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))), "number"
        )
    )


# -- daily reports -----------------------------------------------------------------------------


def reports_for_user(*, user) -> QuerySet[DailyReport]:
    if not getattr(user, "is_authenticated", False):
        return DailyReport.objects.none()
    return DailyReport.objects.filter(_own_or_scope(user, "worker_id")).select_related(
        "worker", "area"
    )


def report_get(*, user, pk) -> DailyReport:
    return get_object_or_404(reports_for_user(user=user), pk=pk)


@dataclass
class Draft:
    """The worker's report of a day as it stands: the saved row (if any) with figures from
    the day's records when the day is still open."""

    day: dt.date
    report: DailyReport | None
    stats: compliance.DayStats
    norm: dict
    progress: list
    compliant: bool
    missing: dict

    @property
    def is_closed(self) -> bool:
        return self.report is not None and self.report.is_closed


def report_draft(user, day: dt.date, area: Area | None = None) -> Draft:
    report = DailyReport.objects.filter(worker=user, day=day).select_related("area").first()
    if report is not None and report.is_closed:
        stats = compliance.DayStats(
            patrols=report.patrols,
            patrol_minutes=report.patrol_minutes,
            distance_m=report.distance_m,
            visits=report.visits,
            visits_by_kind=report.visits_by_kind,
            cases_reported=report.cases_reported,
            cases_handled=report.cases_handled,
            extra_tasks=report.extra_tasks,
        )
        norm = report.norm or compliance.norm_for_path(report.area_path)
        prog = compliance.progress(stats, norm)
        for row in prog:
            if row["key"] == "hours":
                row["done"] = report.hours
                row["met"] = float(report.hours) >= float(norm["hours"])
        return Draft(day, report, stats, norm, prog, bool(report.compliant), report.missing or {})
    extra = {user.pk: report.extra_tasks} if report else {}
    stats = compliance.day_stats([user.pk], day, extra_tasks=extra)[user.pk]
    path = report.area_path if report else (area.path if area else "")
    norm = compliance.norm_for_path(path) if path else dict(compliance.DEFAULT_NORM)
    ok, missing = compliance.evaluate(stats, norm)
    return Draft(day, report, stats, norm, compliance.progress(stats, norm), ok, missing)


# -- compliance views --------------------------------------------------------------------------


def _area_q(scope: Scope, area: Area | None, field: str) -> Q:
    q = scope.q(field)
    if area is not None:
        q &= Q(**{f"{field}__startswith": area.path})
    return q


def workers_in_scope(*, user, day: dt.date, area: Area | None = None) -> QuerySet[Post]:
    """One grid-worker post per worker active on `day` in the viewer's subtrees."""
    scope = oversight_scope(user)
    posts = Post.objects.active(day).filter(
        _area_q(scope, area, "area__path"), role__in=GRID_WORKER_ROLES
    )
    first = posts.filter(user_id=OuterRef("user_id")).order_by("role", "start_date", "id")
    return (
        posts.filter(pk=Subquery(first.values("pk")[:1]))
        .select_related("user", "area", "area__parent")
        .order_by("area__path", "user__full_name", "user_id")
    )


@dataclass
class DayRow:
    worker: User
    area: Area
    report: DailyReport | None
    stats: compliance.DayStats
    hours: object
    norm: dict
    compliant: bool | None
    missing: dict
    required: bool
    closed: bool


def day_rows(posts, day: dt.date) -> list[DayRow]:
    """Rows of the compliance day view for a page of posts, in a fixed number of queries: the
    closed reports as they were closed, the others from the day's records."""
    posts = list(posts)
    ids = [p.user_id for p in posts]
    reports = {r.worker_id: r for r in DailyReport.objects.filter(day=day, worker_id__in=ids)}
    open_ids = [pk for pk in ids if pk not in reports or not reports[pk].is_closed]
    live = compliance.day_stats(
        open_ids,
        day,
        extra_tasks={pk: reports[pk].extra_tasks for pk in open_ids if pk in reports},
    )
    norms = compliance.Norms()
    leave = compliance.leave_days(open_ids, day, day) if open_ids else {}
    workday = compliance.is_workday(day)
    rows = []
    for p in posts:
        r = reports.get(p.user_id)
        if r is not None and r.is_closed:
            stats = compliance.DayStats(
                patrols=r.patrols,
                patrol_minutes=r.patrol_minutes,
                distance_m=r.distance_m,
                visits=r.visits,
                visits_by_kind=r.visits_by_kind,
                cases_reported=r.cases_reported,
                cases_handled=r.cases_handled,
                extra_tasks=r.extra_tasks,
            )
            rows.append(
                DayRow(
                    p.user,
                    p.area,
                    r,
                    stats,
                    r.hours,
                    r.norm,
                    r.compliant,
                    r.missing,
                    r.required,
                    True,
                )
            )
            continue
        stats = live[p.user_id]
        norm = norms.for_path(p.area.path)
        required = workday and day not in leave.get(p.user_id, ())
        ok, missing = compliance.evaluate(stats, norm) if required else (True, {})
        rows.append(
            DayRow(p.user, p.area, r, stats, stats.hours, norm, ok, missing, required, False)
        )
    return rows


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


@dataclass
class MonthRow:
    worker: User
    area: Area
    days: int
    required: int
    compliant: int
    patrols: int
    visits: int
    tasks: int
    hours: object

    @property
    def rate(self) -> float:
        return round(100 * self.compliant / self.required, 1) if self.required else 0.0


def month_rows(posts, month: dt.date) -> list[MonthRow]:
    """Per worker: closed days of the month, required days, compliant days, totals."""
    from django.db.models import Sum

    posts = list(posts)
    first, last = month_bounds(month)
    agg = {
        row["worker_id"]: row
        for row in DailyReport.objects.filter(
            worker_id__in=[p.user_id for p in posts],
            day__gte=first,
            day__lte=last,
            status="closed",
        )
        .values("worker_id")
        .annotate(
            days=Count("id"),
            required_n=Count("id", filter=Q(required=True)),
            compliant_n=Count("id", filter=Q(required=True, compliant=True)),
            patrols_n=Sum("patrols"),
            visits_n=Sum("visits"),
            tasks_n=Sum("tasks"),
            hours_n=Sum("hours"),
        )
    }
    out = []
    for p in posts:
        a = agg.get(p.user_id, {})
        out.append(
            MonthRow(
                p.user,
                p.area,
                a.get("days", 0),
                a.get("required_n", 0),
                a.get("compliant_n", 0),
                a.get("patrols_n") or 0,
                a.get("visits_n") or 0,
                a.get("tasks_n") or 0,
                a.get("hours_n") or 0,
            )
        )
    return out


def month_workers(*, user, month: dt.date, area: Area | None = None) -> QuerySet[Post]:
    """Workers with a grid-worker post at any time in the month (their latest post)."""
    first, last = month_bounds(month)
    scope = oversight_scope(user)
    posts = Post.objects.filter(
        _area_q(scope, area, "area__path"),
        role__in=GRID_WORKER_ROLES,
        start_date__lte=last,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
    latest = posts.filter(user_id=OuterRef("user_id")).order_by("-start_date", "-id")
    return (
        posts.filter(pk=Subquery(latest.values("pk")[:1]))
        .select_related("user", "area", "area__parent")
        .order_by("area__path", "user__full_name", "user_id")
    )


def areas_for_filter(user) -> QuerySet[Area]:
    """Areas down to the village in the viewer's oversight scope (the area filter)."""
    return Area.objects.filter(oversight_scope(user).q("path"), depth__lte=3).order_by("path")


# -- coverage of visits per village ------------------------------------------------------------


@dataclass
class CoverageRow:
    village: Area
    households: int
    key_households: int
    visited: int
    key_visited: int
    visits: int

    @property
    def rate(self) -> float:
        return round(100 * self.visited / self.households, 1) if self.households else 0.0

    @property
    def key_rate(self) -> float:
        return (
            round(100 * self.key_visited / self.key_households, 1) if self.key_households else 0.0
        )


def coverage_villages(*, user, area: Area | None = None) -> QuerySet[Area]:
    return Area.objects.filter(_area_q(oversight_scope(user), area, "path"), depth=3).order_by(
        "path"
    )


def coverage_rows(villages, *, days: int, now=None) -> list[CoverageRow]:
    """For a page of villages, in four grouped queries: households, key households, those
    visited in the last `days` days and the visits made."""
    villages = list(villages)
    if not villages:
        return []
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    n = len(villages[0].path)
    q = Q(pk__in=[])
    for v in villages:
        q |= Q(area_path__startswith=v.path)
    key = Exists(Tag.objects.filter(households=OuterRef("pk"), is_key=True))
    visited = Exists(Visit.objects.filter(household=OuterRef("pk"), visited_at__gte=since))
    hh = {
        r["v"]: r
        for r in Household.objects.filter(q)
        .annotate(v=Substr("area_path", 1, n), is_key=key, was_visited=visited)
        .values("v")
        .annotate(
            total=Count("id"),
            key_n=Count("id", filter=Q(is_key=True)),
            visited_n=Count("id", filter=Q(was_visited=True)),
            key_visited_n=Count("id", filter=Q(is_key=True, was_visited=True)),
        )
    }
    visits = dict(
        Visit.objects.filter(q, visited_at__gte=since)
        .annotate(v=Substr("area_path", 1, n))
        .values("v")
        .annotate(c=Count("id", output_field=IntegerField()))
        .values_list("v", "c")
    )
    out = []
    for v in villages:
        r = hh.get(v.path, {})
        out.append(
            CoverageRow(
                v,
                r.get("total", 0),
                r.get("key_n", 0),
                r.get("visited_n", 0),
                r.get("key_visited_n", 0),
                visits.get(v.path, 0),
            )
        )
    return out


# -- pledges -----------------------------------------------------------------------------------


def _ancestor_paths(paths) -> list[str]:
    out = set()
    for p in paths:
        for i in range(Area.steplen, len(p) + 1, Area.steplen):
            out.add(p[:i])
    return sorted(out)


def campaigns_for_user(*, user) -> QuerySet[PledgeCampaign]:
    """Campaigns in the viewer's oversight subtrees, and those covering the viewer's posts."""
    if not getattr(user, "is_authenticated", False):
        return PledgeCampaign.objects.none()
    scope = oversight_scope(user)
    q = scope.q("area_path")
    mine = _ancestor_paths(p.area.path for p in active_posts(user))
    if mine:
        q |= Q(area_path__in=mine)
    return PledgeCampaign.objects.filter(q).select_related("area", "created_by")


def campaign_get(*, user, pk) -> PledgeCampaign:
    return get_object_or_404(campaigns_for_user(user=user), pk=pk)


def campaign_workers(campaign: PledgeCampaign, on: dt.date | None = None) -> QuerySet[User]:
    """The grid workers who are to sign: an active grid-worker post in the campaign's area."""
    posts = Post.objects.active(on).filter(
        role__in=GRID_WORKER_ROLES, area__path__startswith=campaign.area_path
    )
    return User.objects.filter(Exists(posts.filter(user_id=OuterRef("pk"))))


def campaign_roster(campaign: PledgeCampaign, *, signed: bool) -> QuerySet[User]:
    signed_q = Exists(Pledge.objects.filter(campaign=campaign, worker_id=OuterRef("pk")))
    qs = campaign_workers(campaign)
    qs = qs.filter(signed_q) if signed else qs.exclude(signed_q)
    return qs.annotate(
        signed_at=Subquery(
            Pledge.objects.filter(campaign=campaign, worker_id=OuterRef("pk")).values("signed_at")[
                :1
            ]
        )
    ).order_by("full_name", "id")


def campaign_counts(campaigns) -> dict[int, tuple[int, int]]:
    """(signed, expected) per campaign, two queries per campaign page at most."""
    campaigns = list(campaigns)
    signed = dict(
        Pledge.objects.filter(campaign__in=campaigns)
        .values("campaign_id")
        .annotate(n=Count("id"))
        .values_list("campaign_id", "n")
    )
    out = {}
    today = timezone.localdate()
    worker_posts = list(
        Post.objects.active(today)
        .filter(role__in=GRID_WORKER_ROLES)
        .filter(
            _area_q(Scope(tuple(c.area_path for c in campaigns)), None, "area__path")
            if campaigns
            else Q(pk__in=[])
        )
        .values_list("user_id", "area__path")
    )
    for c in campaigns:
        expected = {u for u, path in worker_posts if path.startswith(c.area_path)}
        out[c.pk] = (signed.get(c.pk, 0), len(expected))
    return out


def pledges_to_sign(user) -> QuerySet[PledgeCampaign]:
    """Open campaigns covering the worker's grids that they have not signed."""
    paths = worker_grid_paths(user)
    if not paths:
        return PledgeCampaign.objects.none()
    return (
        PledgeCampaign.objects.filter(
            area_path__in=_ancestor_paths(paths), deadline__gte=timezone.localdate()
        )
        .exclude(Exists(Pledge.objects.filter(campaign=OuterRef("pk"), worker=user)))
        .order_by("deadline", "id")
    )


def last_visits_by_household(household_ids) -> dict[int, dt.datetime]:
    return dict(
        Visit.objects.filter(household_id__in=list(household_ids))
        .values("household_id")
        .annotate(m=Max("visited_at"))
        .values_list("household_id", "m")
    )
