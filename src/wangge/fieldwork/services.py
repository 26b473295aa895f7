"""Writes of the fieldwork app: patrols, findings, visits, daily reports and their close,
norms and pledges. Keyword-only, actor explicit, one transaction each; a refused write
raises a domain error and changes nothing.

Events emitted (payload keys in brackets):
  fieldwork.patrol.finished [patrol, actor, at]
  fieldwork.visit.recorded  [visit, actor, at]
  fieldwork.day.closed      [report, at]   (once per report; report.compliant, report.missing)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.choices import GRID_WORKER_ROLES, Capability
from wangge.accounts.models import Post, User
from wangge.accounts.selectors import active_posts, user_scope
from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.errors import DomainError, NotFound, PermissionDenied, TransitionNotAllowed
from wangge.core.events import emit
from wangge.people.models import Household

from . import compliance
from .choices import NORM_FIELDS, PATROL_ROLES, ReportStatus, VisitKind
from .models import (
    ClosedDay,
    DailyNorm,
    DailyReport,
    Patrol,
    PatrolFinding,
    PatrolPoint,
    Pledge,
    PledgeCampaign,
    Visit,
)

MAX_POINTS_PER_BATCH = 500
MAX_NEEDS_PER_VISIT = 10
# A late entry: a visit may be recorded up to this many days after it happened.
VISIT_BACKDATE_DAYS = 7
# Clock skew allowed for a phone's timestamps.
CLOCK_SKEW = dt.timedelta(minutes=5)
# A jump faster than this between two route points is a bad GPS fix, not a walk or a ride.
MAX_SPEED_MPS = 40.0
# A worker may go back this many days to close days the scheduler missed (never further).
MAX_CLOSE_BACKLOG_DAYS = 62


def _now(at=None) -> dt.datetime:
    return at or timezone.now()


def _text(value, *, field: str, max_length: int, required: bool = False) -> str:
    value = str(value or "").strip()
    if required and not value:
        raise DomainError(_("This field is required."), field=field)
    if len(value) > max_length:
        raise DomainError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    if "\x00" in value:
        raise DomainError(_("The text contains a NUL character."), field=field)
    return value


def _actor_required(actor) -> None:
    if actor is None or not getattr(actor, "pk", None):
        raise PermissionDenied(_("Log in first."))


# -- patrols 巡查 ------------------------------------------------------------------------------


def patrol_posts(user, on: dt.date | None = None) -> list[Post]:
    """The user's active posts from which they patrol (grid workers, volunteers, five
    elders), full-time grid posts first."""
    posts = [p for p in active_posts(user) if p.role in PATROL_ROLES]
    if on is not None:
        posts = [
            p for p in posts if p.start_date <= on and (p.end_date is None or p.end_date >= on)
        ]
    order = {r: i for i, r in enumerate(PATROL_ROLES)}
    return sorted(posts, key=lambda p: (order[p.role], p.start_date, p.pk))


def worker_grid_posts(user) -> list[Post]:
    return [p for p in patrol_posts(user) if p.role in GRID_WORKER_ROLES]


def _lock_patrol(patrol: Patrol) -> Patrol:
    try:
        return Patrol.objects.select_for_update().select_related("area").get(pk=patrol.pk)
    except Patrol.DoesNotExist as exc:
        raise NotFound(_("No such patrol.")) from exc


def _own(actor, patrol: Patrol) -> None:
    if patrol.worker_id != actor.pk:
        raise PermissionDenied(_("This is someone else's patrol: only its worker may change it."))


@transaction.atomic
def patrol_start(*, actor, area: Area | None = None, at: dt.datetime | None = None) -> Patrol:
    """Start a patrol through one of the actor's grids (the first one by default)."""
    _actor_required(actor)
    now = _now(at)
    posts = patrol_posts(actor)
    if not posts:
        raise PermissionDenied(_("Only grid workers, volunteers and five elders patrol a grid."))
    if area is None:
        area = posts[0].area
    elif not any(area.path.startswith(p.area.path) for p in posts):
        raise PermissionDenied(
            _("You hold no post on %(area)s: patrol your own grid.") % {"area": area.name}
        )
    # Lock the worker row so that two taps at once cannot open two patrols.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    if Patrol.objects.filter(worker=actor, ended_at__isnull=True).exists():
        raise TransitionNotAllowed(_("You already have a patrol under way: stop it first."))
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                worker=actor, area=area, area_path=area.path, started_at=now
            )
    except IntegrityError as exc:
        raise TransitionNotAllowed(
            _("You already have a patrol under way: stop it first.")
        ) from exc
    audit(actor=actor, verb="fieldwork.patrol.start", obj=patrol, data={"area": area.code})
    return patrol


@transaction.atomic
def patrol_stop(*, actor, patrol: Patrol, at: dt.datetime | None = None, note: str = "") -> Patrol:
    _actor_required(actor)
    patrol = _lock_patrol(patrol)
    _own(actor, patrol)
    if patrol.ended_at is not None:
        raise TransitionNotAllowed(_("This patrol has already been stopped."))
    now = _now(at)
    if now < patrol.started_at:
        raise DomainError(_("A patrol cannot end before it started."), field="at")
    patrol.ended_at = now
    patrol.note = _text(note, field="note", max_length=500)
    _recompute_route(patrol)
    patrol.save(update_fields=["ended_at", "note", "distance_m", "point_count"])
    audit(
        actor=actor,
        verb="fieldwork.patrol.stop",
        obj=patrol,
        data={"distance_m": patrol.distance_m, "minutes": patrol.duration_minutes},
    )
    emit("fieldwork.patrol.finished", patrol=patrol, actor=actor, at=now)
    return patrol


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(min(1.0, a)))


def route_distance(points) -> float:
    """Metres along (lat, lng, time) points in time order, skipping impossible jumps."""
    total = 0.0
    prev = None
    for lat, lng, t in points:
        if prev is not None:
            d = haversine_m(prev[0], prev[1], lat, lng)
            secs = max((t - prev[2]).total_seconds(), 1.0)
            if d / secs > MAX_SPEED_MPS:
                continue  # a bad fix: keep measuring from the last good point
            total += d
        prev = (lat, lng, t)
    return total


def _recompute_route(patrol: Patrol) -> None:
    pts = list(patrol.points.order_by("recorded_at", "id").values_list("lat", "lng", "recorded_at"))
    patrol.point_count = len(pts)
    patrol.distance_m = int(round(route_distance(pts)))


def _clean_point(raw, index: int) -> tuple[float, float, dt.datetime, int | None]:
    from wangge.areas.geo import validate_point

    if not isinstance(raw, dict):
        raise DomainError(
            _("Point %(n)d is not an object with lat, lng and time.") % {"n": index + 1},
            field="points",
        )
    try:
        lat, lng = validate_point(raw.get("lat"), raw.get("lng"))
    except DomainError as exc:
        raise DomainError(
            _("Point %(n)d: the location is not a valid coordinate.") % {"n": index + 1},
            field="points",
        ) from exc
    t = raw.get("time") or raw.get("recorded_at")
    if isinstance(t, str):
        from django.utils.dateparse import parse_datetime

        try:
            t = parse_datetime(t)
        except ValueError:
            t = None
    if not isinstance(t, dt.datetime):
        raise DomainError(
            _("Point %(n)d: give the time it was recorded.") % {"n": index + 1}, field="points"
        )
    if timezone.is_naive(t):
        t = timezone.make_aware(t)
    acc = raw.get("accuracy")
    if acc is not None:
        try:
            acc = int(float(acc))
        except (TypeError, ValueError, OverflowError):
            acc = None
        else:
            acc = acc if 0 <= acc < 100_000 else None
    return lat, lng, t, acc


@transaction.atomic
def patrol_add_points(*, actor, patrol: Patrol, points: Iterable, now=None) -> Patrol:
    """Append a batch of route points sent by the phone. Points already received (same
    instant) are ignored, so a retried upload changes nothing. Points of a stopped patrol are
    still taken while they fall inside its time (the phone uploads when it has network)."""
    _actor_required(actor)
    patrol = _lock_patrol(patrol)
    _own(actor, patrol)
    points = list(points or [])
    if not points:
        raise DomainError(_("Send at least one point."), field="points")
    if len(points) > MAX_POINTS_PER_BATCH:
        raise DomainError(
            _("At most %(n)d points per upload.") % {"n": MAX_POINTS_PER_BATCH}, field="points"
        )
    now = _now(now)
    latest = (patrol.ended_at or now) + CLOCK_SKEW
    cleaned = []
    for i, raw in enumerate(points):
        lat, lng, t, acc = _clean_point(raw, i)
        if t < patrol.started_at - CLOCK_SKEW or t > latest:
            raise DomainError(
                _("Point %(n)d was recorded outside the time of the patrol.") % {"n": i + 1},
                field="points",
            )
        cleaned.append((lat, lng, t, acc))
    existing = set(
        patrol.points.filter(recorded_at__in=[c[2] for c in cleaned]).values_list(
            "recorded_at", flat=True
        )
    )
    new, seen = [], set()
    for lat, lng, t, acc in cleaned:
        if t in existing or t in seen:
            continue
        seen.add(t)
        new.append(PatrolPoint(patrol=patrol, lat=lat, lng=lng, recorded_at=t, accuracy_m=acc))
    if new:
        PatrolPoint.objects.bulk_create(new)
        _recompute_route(patrol)
        patrol.save(update_fields=["distance_m", "point_count"])
    return patrol


@transaction.atomic
def patrol_report_finding(
    *,
    actor,
    patrol: Patrol,
    description: str,
    title: str = "",
    category=None,
    urgency: str | None = None,
    lat=None,
    lng=None,
    household=None,
    photos=None,
):
    """A problem found on patrol becomes a case in one tap 随手拍 (source: patrol finding),
    linked to the patrol. Located at the phone's position, or the patrol's grid."""
    from wangge.cases.choices import Source
    from wangge.cases.services import case_report

    _actor_required(actor)
    patrol = _lock_patrol(patrol)
    _own(actor, patrol)
    if patrol.ended_at is not None:
        raise TransitionNotAllowed(
            _("This patrol has been stopped: report the problem as a new case.")
        )
    has_point = lat not in (None, "") or lng not in (None, "")
    area = None if (has_point or household is not None) else patrol.area
    if area is not None and area.level not in (AreaLevel.GRID, AreaLevel.MICROGRID):
        raise DomainError(
            _("Share the phone's position: the patrol is not on a single grid."), field="location"
        )
    case = case_report(
        actor=actor,
        source=Source.PATROL,
        description=description,
        title=title,
        category=category,
        urgency=urgency,
        lat=lat if has_point else None,
        lng=lng if has_point else None,
        area=area,
        household=household,
        photos=photos,
    )
    PatrolFinding.objects.create(patrol=patrol, case=case)
    audit(actor=actor, verb="fieldwork.patrol.finding", obj=patrol, data={"case": case.number})
    return case


# -- visits 走访 -------------------------------------------------------------------------------


def visit_permission(actor, household: Household):
    """How the actor may visit the household: ("post", None) through a post over its area,
    ("contact", member) as its contact party member; else a clear refusal."""
    from wangge.party.selectors import member_households, member_of_user

    member = member_of_user(actor)
    is_contact = member is not None and member_households(member).filter(pk=household.pk).exists()
    if user_scope(actor, Capability.VIEW_PEOPLE).covers(household.area_path):
        return "post", member, is_contact
    if is_contact:
        return "contact", member, True
    raise PermissionDenied(
        _(
            "You cannot visit household %(number)s: you hold no post over its grid "
            "(%(grid)s) and are not its contact party member."
        )
        % {"number": household.number, "grid": household.grid.name}
    )


def _clean_needs(needs) -> list[str]:
    if needs is None:
        return []
    if isinstance(needs, str):
        needs = [line for line in needs.splitlines()]
    out = []
    for n in needs:
        text = _text(n, field="needs", max_length=500)
        if text:
            out.append(text)
    if len(out) > MAX_NEEDS_PER_VISIT:
        raise DomainError(
            _("At most %(n)d needs per visit.") % {"n": MAX_NEEDS_PER_VISIT}, field="needs"
        )
    return out


@transaction.atomic
def visit_record(
    *,
    actor,
    household: Household,
    kind: str,
    notes: str = "",
    needs=None,
    plan_situation: str = "",
    plan_needs: str = "",
    plan_measures: str = "",
    at: dt.datetime | None = None,
) -> Visit:
    """Record a visit 走访: the needs collected go to the party needs list 需求清单, the
    household's one-household-one-plan 一户一策 is updated with what was given, and the
    contact party member's last contact is noted."""
    from wangge.party.choices import NeedSource
    from wangge.party.services import contact_record_visit, need_create
    from wangge.people.models import ServicePlan
    from wangge.people.services import service_plan_update

    _actor_required(actor)
    now = timezone.now()
    at = at or now
    if kind not in VisitKind.values:
        raise DomainError(_("Choose the kind of visit: 认亲, 访亲 or 帮亲."), field="kind")
    if at > now + CLOCK_SKEW:
        raise DomainError(_("A visit cannot be in the future."), field="at")
    if at < now - dt.timedelta(days=VISIT_BACKDATE_DAYS):
        raise DomainError(
            _("A visit may be recorded at most %(n)d days late.") % {"n": VISIT_BACKDATE_DAYS},
            field="at",
        )
    try:
        household = Household.objects.select_related("grid").get(pk=household.pk)
    except Household.DoesNotExist as exc:
        raise NotFound(_("No such household.")) from exc
    _how, member, is_contact = visit_permission(actor, household)
    notes = _text(notes, field="notes", max_length=4000)
    need_texts = _clean_needs(needs)
    plan = {
        "situation": _text(plan_situation, field="plan_situation", max_length=4000),
        "needs": _text(plan_needs, field="plan_needs", max_length=4000),
        "measures": _text(plan_measures, field="plan_measures", max_length=4000),
    }
    plan_note = "\n".join(v for v in plan.values() if v)
    if plan_note and not user_scope(actor, Capability.EDIT_PEOPLE).covers(household.area_path):
        raise PermissionDenied(
            _("Only the grid staff of the household may update its one-household-one-plan."),
            field="plan_situation",
        )
    visit = Visit.objects.create(
        visitor=actor,
        member=member,
        household=household,
        area_path=household.area_path,
        kind=kind,
        visited_at=at,
        notes=notes,
        plan_note=plan_note,
        as_contact=is_contact,
    )
    if plan_note:
        current = ServicePlan.objects.filter(household=household).first()
        service_plan_update(
            actor=actor,
            household=household,
            situation=plan["situation"] or (current.situation if current else ""),
            needs=plan["needs"] or (current.needs if current else ""),
            measures=plan["measures"] or (current.measures if current else ""),
            responsible=(current.responsible if current else None) or actor,
        )
    created = [
        need_create(actor=actor, household=household, description=text, source=NeedSource.VISIT)
        for text in need_texts
    ]
    if created:
        visit.needs.add(*created)
    if is_contact:
        contact_record_visit(actor=actor, household=household, at=at, member=member)
    audit(
        actor=actor,
        verb="fieldwork.visit.record",
        obj=visit,
        data={"household": household.number, "kind": kind, "needs": len(created)},
    )
    emit("fieldwork.visit.recorded", visit=visit, actor=actor, at=now)
    return visit


# -- daily report 日报告 -----------------------------------------------------------------------


def report_area(user, day: dt.date) -> Area | None:
    posts = [p for p in patrol_posts(user, on=day) if p.role in GRID_WORKER_ROLES]
    return posts[0].area if posts else None


def _clean_extra_tasks(value) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("Give a whole number of other tasks."), field="extra_tasks") from exc
    if not 0 <= n <= 20:
        raise DomainError(_("Other tasks: between 0 and 20."), field="extra_tasks")
    return n


def _fill(report: DailyReport, stats: compliance.DayStats) -> None:
    for key, value in stats.as_values().items():
        setattr(report, key, value)


@transaction.atomic
def report_save(
    *,
    actor,
    day: dt.date,
    notes: str | None = None,
    extra_tasks=None,
    submit: bool = False,
) -> DailyReport:
    """Save the worker's notes on their daily report (drafted from the day's records) and,
    with submit, hand it in. A closed report cannot change."""
    _actor_required(actor)
    today = timezone.localdate()
    if day > today:
        raise DomainError(_("A daily report cannot be written ahead of its day."), field="day")
    area = report_area(actor, day)
    if area is None:
        raise PermissionDenied(_("Only a grid worker writes a daily report."))
    report, _created = DailyReport.objects.select_for_update().get_or_create(
        worker=actor, day=day, defaults={"area": area, "area_path": area.path}
    )
    if report.status == ReportStatus.CLOSED:
        raise TransitionNotAllowed(_("This day has been closed: its report can no longer change."))
    if notes is not None:
        report.notes = _text(notes, field="notes", max_length=4000)
    if extra_tasks is not None:
        report.extra_tasks = _clean_extra_tasks(extra_tasks)
    stats = compliance.day_stats([actor.pk], day, extra_tasks={actor.pk: report.extra_tasks})
    _fill(report, stats[actor.pk])
    report.norm = compliance.norm_for_path(report.area_path)
    if submit:
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = timezone.now()
    report.save()
    audit(
        actor=actor,
        verb="fieldwork.report.submit" if submit else "fieldwork.report.save",
        obj=report,
    )
    return report


def _workers_on(day: dt.date) -> dict[int, Post]:
    """Each user with an active grid-worker post that day → that post (full-time first)."""
    out: dict[int, Post] = {}
    posts = (
        Post.objects.active(day)
        .filter(role__in=GRID_WORKER_ROLES)
        .select_related("area")
        .order_by("user_id", "role", "start_date", "id")
    )
    for p in posts:
        out.setdefault(p.user_id, p)
    return out


@transaction.atomic
def close_day(*, day: dt.date, now: dt.datetime | None = None) -> int:
    """Finalise every grid worker's report of `day` with its compliance. Reports already
    closed are left alone, so running it again changes nothing. Returns the reports closed."""
    now = _now(now)
    if day >= timezone.localdate(now):
        raise DomainError(_("Only a day that is over can be closed."), field="day")
    workday = compliance.is_workday(day)
    workers = _workers_on(day)
    existing = {
        r.worker_id: r
        for r in DailyReport.objects.select_for_update().filter(day=day).select_related("area")
    }
    if not workday:
        # Nobody is held to the norm on a rest day; what was written is closed as it is.
        worker_ids = [pk for pk, r in existing.items() if r.status != ReportStatus.CLOSED]
    else:
        worker_ids = [
            pk
            for pk in set(workers) | set(existing)
            if pk not in existing or existing[pk].status != ReportStatus.CLOSED
        ]
    if not worker_ids:
        return 0
    norms = compliance.Norms()
    leave = compliance.leave_days(worker_ids, day, day)
    stats = compliance.day_stats(
        worker_ids,
        day,
        extra_tasks={pk: r.extra_tasks for pk, r in existing.items()},
    )
    to_create, to_update = [], []
    for pk in sorted(worker_ids):
        report = existing.get(pk)
        if report is None:
            post = workers[pk]
            report = DailyReport(worker_id=pk, day=day, area=post.area, area_path=post.area.path)
            to_create.append(report)
        else:
            to_update.append(report)
        _fill(report, stats[pk])
        norm = norms.for_path(report.area_path)
        report.norm = norm
        report.is_workday = workday
        report.on_leave = day in leave.get(pk, ())
        report.required = workday and not report.on_leave
        if report.required:
            report.compliant, report.missing = compliance.evaluate(stats[pk], norm)
        else:
            report.compliant, report.missing = True, {}
        report.status = ReportStatus.CLOSED
        report.closed_at = now
    DailyReport.objects.bulk_create(to_create, batch_size=1000)
    fields = [
        "patrols",
        "patrol_minutes",
        "distance_m",
        "visits",
        "visits_by_kind",
        "visit_kinds",
        "cases_reported",
        "cases_handled",
        "tasks",
        "hours",
        "norm",
        "is_workday",
        "on_leave",
        "required",
        "compliant",
        "missing",
        "status",
        "closed_at",
    ]
    DailyReport.objects.bulk_update(to_update, fields, batch_size=1000)
    if to_create and to_create[0].pk is None:
        # Backends that do not return ids from bulk inserts: read them back for the events.
        ids = dict(
            DailyReport.objects.filter(
                day=day, worker_id__in=[r.worker_id for r in to_create]
            ).values_list("worker_id", "id")
        )
        for r in to_create:
            r.pk = r.id = ids[r.worker_id]
    for report in sorted(to_create + to_update, key=lambda r: r.worker_id):
        emit("fieldwork.day.closed", report=report, at=now)
    audit(
        actor=None,
        verb="fieldwork.day.close",
        object_type="fieldwork.dailyreport",
        object_id=day.isoformat(),
        data={"reports": len(worker_ids), "workday": workday},
    )
    return len(worker_ids)


def close_days(*, now: dt.datetime | None = None) -> dict:
    """Close yesterday and any earlier day the scheduler missed (after the last closed day,
    at most MAX_CLOSE_BACKLOG_DAYS back). Each day in its own transaction; running it twice
    closes nothing more."""
    now = _now(now)
    yesterday = timezone.localdate(now) - dt.timedelta(days=1)
    last = ClosedDay.objects.order_by("-day").values_list("day", flat=True).first()
    earliest = yesterday - dt.timedelta(days=MAX_CLOSE_BACKLOG_DAYS - 1)
    day = max(last + dt.timedelta(days=1), earliest) if last else yesterday
    closed_days, reports = 0, 0
    while day <= yesterday:
        with transaction.atomic():
            n = close_day(day=day, now=now)
            ClosedDay.objects.get_or_create(day=day, defaults={"reports": n, "closed_at": now})
        closed_days += 1
        reports += n
        day += dt.timedelta(days=1)
    return {"days": closed_days, "reports": reports}


# -- norms ------------------------------------------------------------------------------------


def _check_manage(actor, path: str) -> None:
    if actor is None:
        return
    if not user_scope(actor, Capability.MANAGE_FIELDWORK).covers(path):
        raise PermissionDenied(_("You may not set fieldwork rules for this area."))


@transaction.atomic
def norm_set(*, actor, area: Area, patrols, visit_kinds, tasks, hours) -> DailyNorm:
    """Set the daily norm of an area subtree (county, town or village)."""
    _check_manage(actor, area.path)
    if area.level not in (AreaLevel.COUNTY, AreaLevel.TOWN, AreaLevel.VILLAGE):
        raise DomainError(_("Norms are set for a county, a town or a village."), field="area")
    values = {}
    limits = {"patrols": 10, "visit_kinds": len(VisitKind.values), "tasks": 50}
    for key, hi in limits.items():
        raw = {"patrols": patrols, "visit_kinds": visit_kinds, "tasks": tasks}[key]
        try:
            n = int(raw)
        except (TypeError, ValueError) as exc:
            raise DomainError(_("Give a whole number."), field=key) from exc
        if not 0 <= n <= hi:
            raise DomainError(_("Between 0 and %(n)d.") % {"n": hi}, field=key)
        values[key] = n
    try:
        h = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("Give the hours as a number."), field="hours") from exc
    if not Decimal("0") <= h <= Decimal("16"):
        raise DomainError(_("Between 0 and 16 hours."), field="hours")
    values["hours"] = h
    norm, _created = DailyNorm.objects.select_for_update().get_or_create(
        area=area, defaults={"area_path": area.path, **values}
    )
    for key in NORM_FIELDS:
        setattr(norm, key, values[key])
    norm.area_path = area.path
    norm.updated_by = actor if getattr(actor, "pk", None) else None
    norm.save()
    audit(
        actor=actor,
        verb="fieldwork.norm.set",
        obj=norm,
        data={k: str(v) for k, v in values.items()},
    )
    return norm


@transaction.atomic
def norm_delete(*, actor, norm: DailyNorm) -> None:
    """Remove an override: the norm of the area above applies again."""
    _check_manage(actor, norm.area_path)
    audit(actor=actor, verb="fieldwork.norm.delete", obj=norm)
    norm.delete()


# -- pledges 责任承诺书 -------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *, actor, area: Area, title: str, text: str, deadline: dt.date
) -> PledgeCampaign:
    """A town (or village) officer opens a pledge campaign for the grid workers of an area."""
    _check_manage(actor, area.path)
    if area.level not in (AreaLevel.COUNTY, AreaLevel.TOWN, AreaLevel.VILLAGE):
        raise DomainError(_("A campaign covers a county, a town or a village."), field="area")
    if deadline < timezone.localdate():
        raise DomainError(_("The deadline has already passed."), field="deadline")
    campaign = PledgeCampaign.objects.create(
        area=area,
        area_path=area.path,
        title=_text(title, field="title", max_length=100, required=True),
        text=_text(text, field="text", max_length=4000, required=True),
        deadline=deadline,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit(actor=actor, verb="fieldwork.campaign.create", obj=campaign)
    return campaign


def _norm_name(name: str) -> str:
    return "".join(str(name or "").split())


@transaction.atomic
def pledge_sign(
    *, actor, campaign: PledgeCampaign, signed_name: str, at: dt.datetime | None = None
) -> Pledge:
    """The worker signs the campaign's pledge on the phone by typing their name."""
    _actor_required(actor)
    now = _now(at)
    campaign = PledgeCampaign.objects.select_for_update().get(pk=campaign.pk)
    if not any(p.area.path.startswith(campaign.area_path) for p in worker_grid_posts(actor)):
        raise PermissionDenied(
            _("This pledge is for the grid workers of %(area)s.") % {"area": campaign.area.name}
        )
    if timezone.localdate(now) > campaign.deadline:
        raise TransitionNotAllowed(_("The campaign's deadline has passed."))
    if Pledge.objects.filter(campaign=campaign, worker=actor).exists():
        raise TransitionNotAllowed(_("You have already signed this pledge."))
    typed = _text(signed_name, field="signed_name", max_length=50, required=True)
    expected = _norm_name(actor.full_name or actor.username)
    if _norm_name(typed) != expected:
        raise DomainError(
            _("Type your own full name as it is registered: %(name)s.")
            % {"name": actor.full_name or actor.username},
            field="signed_name",
        )
    pledge = Pledge.objects.create(
        campaign=campaign, worker=actor, signed_name=typed, signed_at=now
    )
    audit(actor=actor, verb="fieldwork.pledge.sign", obj=pledge)
    return pledge
