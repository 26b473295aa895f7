"""Writes of supervision 督导: supervision items, inspections, the problem list 问题清单 with
its follow-up 督办 and cross-off 销号, and bulletins 通报.

Every function is keyword-only, takes the actor (`None` is the system: the sweep, the demo),
runs in one transaction, locks the row, checks the state (`TransitionNotAllowed`), appends a
timeline step and writes the audit row.

Events for the scoring app (payload in brackets):
  supervision.inspection.recorded   [inspection, actor, at]
  supervision.problem.crossed_off   [problem, actor, at]
  supervision.problem.overdue       [problem, at]       (once per deadline, from the sweep)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.events import emit

from . import periods, selectors
from .choices import BulletinKind, BulletinState, Check, PeriodKind, ProblemState, Verb
from .models import (
    Bulletin,
    Inspection,
    InspectionPhoto,
    Problem,
    ProblemEvent,
    SupervisionItem,
)

MAX_TEXT = 4000
MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 5 * 1024 * 1024


def _text(value, *, field: str, max_length: int = MAX_TEXT, required: bool = False) -> str:
    text = strip_tags(str(value or "")).replace("\x00", "").strip()
    if required and not text:
        raise DomainError(_("This field is required."), field=field)
    if len(text) > max_length:
        raise DomainError(
            _("This text has %(n)d characters; at most %(max)d are allowed.")
            % {"n": len(text), "max": max_length},
            field=field,
        )
    return text


def _now(now=None) -> dt.datetime:
    return now or timezone.now()


def _require_supervisor(actor, path: str) -> None:
    if actor is not None and not selectors.can_supervise(actor, path):
        raise PermissionDenied(_("You have no supervising post covering this area."))


def _area(area) -> Area:
    if not isinstance(area, Area):
        raise DomainError(_("Choose an area."), field="area")
    return area


def _date(value, *, field: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise DomainError(_("Give a valid date."), field=field)
    return value


# --- supervision items -------------------------------------------------------------------


@transaction.atomic
def item_create(
    *,
    actor,
    area: Area,
    title: str,
    period_kind: str = PeriodKind.MONTH,
    period: str = "",
    description: str = "",
) -> SupervisionItem:
    """A supervision item 督导事项 for one month or quarter ("2026-11", "2026-Q4"); without a
    period, the current one."""
    area = _area(area)
    _require_supervisor(actor, area.path)
    if period_kind not in PeriodKind.values:
        raise DomainError(_("Unknown period."), field="period_kind")
    if period:
        label, start, end = periods.parse_period(period_kind, period)
    else:
        label, start, end = periods.period_of(period_kind, timezone.localdate())
    item = SupervisionItem.objects.create(
        area=area,
        area_path=area.path,
        period_kind=period_kind,
        period=label,
        start=start,
        end=end,
        title=_text(title, field="title", max_length=200, required=True),
        description=_text(description, field="description"),
        created_by=actor,
    )
    audit(actor=actor, verb="supervision.item.create", obj=item, data={"period": label})
    return item


# --- inspections -------------------------------------------------------------------------


def _photos(photos: Iterable | None) -> list:
    out = [p for p in (photos or []) if p]
    if len(out) > MAX_PHOTOS:
        raise DomainError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS}, field="photos")
    for p in out:
        if getattr(p, "size", 0) > MAX_PHOTO_BYTES:
            raise DomainError(_("A photo is larger than 5 MB."), field="photos")
        head = p.read(12)
        p.seek(0)
        if not (
            head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG") or head[8:12] == b"WEBP"
        ):
            raise DomainError(_("Photos must be JPEG, PNG or WebP images."), field="photos")
    return out


@transaction.atomic
def inspection_record(
    *,
    actor,
    area: Area,
    inspected_on: dt.date,
    checks: Iterable[str] = (),
    item: SupervisionItem | None = None,
    staff_expected: int | None = None,
    staff_present: int | None = None,
    notes: str = "",
    photos: Iterable | None = None,
    inspector=None,
    now: dt.datetime | None = None,
) -> Inspection:
    """Record an inspection 督导检查: where (area), when, what was checked, who was at their
    post, notes and photos. The inspector is the actor unless the system records it."""
    now = _now(now)
    area = _area(area)
    _require_supervisor(actor, area.path)
    inspector = inspector or actor
    if inspector is None:
        raise DomainError(_("Who inspected?"), field="inspector")
    inspected_on = _date(inspected_on, field="inspected_on")
    if inspected_on > timezone.localdate(now):
        raise DomainError(_("An inspection cannot be dated in the future."), field="inspected_on")
    checks = list(dict.fromkeys(checks or []))
    unknown = [c for c in checks if c not in Check.values]
    if unknown:
        raise DomainError(_("Unknown item of the checklist."), field="checks")
    if not checks:
        raise DomainError(_("Tick at least one thing that was checked."), field="checks")
    for name, value in (("staff_expected", staff_expected), ("staff_present", staff_present)):
        if value is not None and (not isinstance(value, int) or value < 0 or value > 10000):
            raise DomainError(_("Give a number of people between 0 and 10000."), field=name)
    if staff_present is not None and staff_expected is not None and staff_present > staff_expected:
        raise DomainError(
            _("More people found at their post than expected."), field="staff_present"
        )
    if item is not None and not area.path.startswith(item.area_path):
        raise DomainError(_("This area is outside the supervision item's area."), field="item")
    photo_list = _photos(photos)
    inspection = Inspection.objects.create(
        item=item,
        area=area,
        area_path=area.path,
        inspector=inspector,
        inspected_on=inspected_on,
        checks=checks,
        staff_expected=staff_expected,
        staff_present=staff_present,
        notes=_text(notes, field="notes", max_length=10000),
    )
    for p in photo_list:
        InspectionPhoto.objects.create(inspection=inspection, file=p)
    audit(
        actor=actor,
        verb="supervision.inspection.record",
        obj=inspection,
        data={"checks": checks, "photos": len(photo_list)},
    )
    emit("supervision.inspection.recorded", inspection=inspection, actor=actor, at=now)
    return inspection


# --- problems ----------------------------------------------------------------------------


def _lock(problem: Problem | int) -> Problem:
    pk = problem.pk if isinstance(problem, Problem) else problem
    return Problem.objects.select_for_update().get(pk=pk)


def _event(problem, verb, *, actor, from_state="", note="", at=None, data=None) -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem,
        verb=verb,
        from_state=from_state,
        to_state=problem.state,
        note=note,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at or timezone.now(),
        data=data or {},
    )


def _require_state(problem: Problem, allowed, message) -> None:
    if problem.state not in allowed:
        raise TransitionNotAllowed(
            message % {"state": problem.get_state_display()}
            if "%(state)s" in str(message)
            else message
        )


def _check_responsible(user, area: Area) -> None:
    """The person responsible holds an active post on the area, inside it or above it."""
    from wangge.accounts.models import Post

    if user is None or not getattr(user, "pk", None):
        raise DomainError(_("Choose the person responsible."), field="responsible")
    paths = Post.objects.active().filter(user_id=user.pk).values_list("area__path", flat=True)
    if not user.is_active or not any(
        p.startswith(area.path) or area.path.startswith(p) for p in paths
    ):
        raise DomainError(
            _("%(name)s holds no post in or above %(area)s.") % {"name": user, "area": area.name},
            field="responsible",
        )


@transaction.atomic
def problem_create(
    *,
    actor,
    description: str,
    responsible,
    deadline: dt.date,
    area: Area | None = None,
    inspection: Inspection | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """Put a finding on the problem list 问题清单 with the person responsible and a deadline.
    A finding of an inspection is in the inspection's area unless a smaller one is named."""
    now = _now(now)
    if inspection is not None:
        area = area or inspection.area
        if not area.path.startswith(inspection.area_path):
            raise DomainError(_("This area is outside the inspected area."), field="area")
    area = _area(area)
    _require_supervisor(actor, area.path)
    description = _text(description, field="description", required=True)
    deadline = _date(deadline, field="deadline")
    if deadline < timezone.localdate(now):
        raise DomainError(_("The deadline cannot be in the past."), field="deadline")
    _check_responsible(responsible, area)
    problem = Problem.objects.create(
        inspection=inspection,
        area=area,
        area_path=area.path,
        description=description,
        responsible=responsible,
        deadline=deadline,
        escalated_to=area,
        created_by=actor,
        created_at=now,
    )
    _event(problem, Verb.CREATE, actor=actor, at=now, data={"deadline": deadline.isoformat()})
    audit(actor=actor, verb="supervision.problem.create", obj=problem)
    return problem


@transaction.atomic
def problem_follow_up(
    *,
    actor,
    problem: Problem,
    note: str,
    remind: bool = False,
    deadline: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """A follow-up 督办 by the supervisor: a dated note, a reminder to the responsible person,
    or a new deadline. Not on a crossed-off problem."""
    now = _now(now)
    problem = _lock(problem)
    _require_supervisor(actor, problem.area_path)
    _require_state(
        problem,
        (ProblemState.OPEN, ProblemState.RECTIFIED, ProblemState.VERIFIED),
        _("A crossed-off problem needs no more follow-up."),
    )
    note = _text(note, field="note", required=True)
    if deadline is not None:
        deadline = _date(deadline, field="deadline")
        if deadline < timezone.localdate(now):
            raise DomainError(_("The deadline cannot be in the past."), field="deadline")
        old = problem.deadline
        problem.deadline = deadline
        problem.is_overdue = False
        problem.save(update_fields=["deadline", "is_overdue", "updated_at"])
        _event(
            problem,
            Verb.DEADLINE,
            actor=actor,
            from_state=problem.state,
            note=note,
            at=now,
            data={"from": old.isoformat(), "to": deadline.isoformat()},
        )
    else:
        _event(
            problem,
            Verb.REMIND if remind else Verb.FOLLOW_UP,
            actor=actor,
            from_state=problem.state,
            note=note,
            at=now,
        )
    audit(
        actor=actor,
        verb="supervision.problem.follow_up",
        obj=problem,
        data={"remind": bool(remind), "deadline": deadline.isoformat() if deadline else None},
    )
    return problem


@transaction.atomic
def problem_rectify(
    *, actor, problem: Problem, rectification: str, now: dt.datetime | None = None
) -> Problem:
    """Open → rectified 已整改, by the responsible person, with what was done."""
    now = _now(now)
    problem = _lock(problem)
    if actor is not None and actor.pk != problem.responsible_id and not actor.is_superuser:
        raise PermissionDenied(_("Only the person responsible reports the rectification."))
    _require_state(
        problem, (ProblemState.OPEN,), _("Only an open problem can be rectified; it is %(state)s.")
    )
    problem.rectification = _text(rectification, field="rectification", required=True)
    problem.state = ProblemState.RECTIFIED
    problem.rectified_at = now
    problem.save(update_fields=["rectification", "state", "rectified_at", "updated_at"])
    _event(
        problem,
        Verb.RECTIFY,
        actor=actor,
        from_state=ProblemState.OPEN,
        note=problem.rectification,
        at=now,
    )
    audit(actor=actor, verb="supervision.problem.rectify", obj=problem)
    return problem


@transaction.atomic
def problem_verify(*, actor, problem: Problem, note: str = "", now=None) -> Problem:
    """Rectified → verified 已核查, by the supervisor."""
    now = _now(now)
    problem = _lock(problem)
    _require_supervisor(actor, problem.area_path)
    _require_state(
        problem,
        (ProblemState.RECTIFIED,),
        _("Only a rectified problem can be verified; it is %(state)s."),
    )
    problem.state = ProblemState.VERIFIED
    problem.verified_at = now
    problem.verified_by = actor
    problem.save(update_fields=["state", "verified_at", "verified_by", "updated_at"])
    _event(
        problem,
        Verb.VERIFY,
        actor=actor,
        from_state=ProblemState.RECTIFIED,
        note=_text(note, field="note"),
        at=now,
    )
    audit(actor=actor, verb="supervision.problem.verify", obj=problem)
    return problem


@transaction.atomic
def problem_reject(*, actor, problem: Problem, reason: str, now=None) -> Problem:
    """Rectified → open again: the supervisor found the rectification not done, with why."""
    now = _now(now)
    problem = _lock(problem)
    _require_supervisor(actor, problem.area_path)
    _require_state(
        problem,
        (ProblemState.RECTIFIED,),
        _("Only a rectified problem can be sent back; it is %(state)s."),
    )
    reason = _text(reason, field="reason", required=True)
    problem.state = ProblemState.OPEN
    problem.rectified_at = None
    problem.save(update_fields=["state", "rectified_at", "updated_at"])
    _event(
        problem, Verb.REJECT, actor=actor, from_state=ProblemState.RECTIFIED, note=reason, at=now
    )
    audit(actor=actor, verb="supervision.problem.reject", obj=problem, data={"reason": reason})
    return problem


@transaction.atomic
def problem_cross_off(*, actor, problem: Problem, note: str = "", now=None) -> Problem:
    """Verified → crossed off 销号: the problem leaves the list."""
    now = _now(now)
    problem = _lock(problem)
    _require_supervisor(actor, problem.area_path)
    _require_state(
        problem,
        (ProblemState.VERIFIED,),
        _("Only a verified problem can be crossed off; it is %(state)s."),
    )
    problem.state = ProblemState.CROSSED_OFF
    problem.crossed_off_at = now
    problem.crossed_off_by = actor
    problem.is_overdue = False
    problem.save(
        update_fields=["state", "crossed_off_at", "crossed_off_by", "is_overdue", "updated_at"]
    )
    _event(
        problem,
        Verb.CROSS_OFF,
        actor=actor,
        from_state=ProblemState.VERIFIED,
        note=_text(note, field="note"),
        at=now,
    )
    audit(actor=actor, verb="supervision.problem.cross_off", obj=problem)
    emit("supervision.problem.crossed_off", problem=problem, actor=actor, at=now)
    return problem


@transaction.atomic
def problem_mark_overdue(*, problem_id: int, now: dt.datetime | None = None) -> bool:
    """The sweep: an open problem past its deadline turns red and is escalated one level up
    the area tree (督办), once per deadline. Returns whether anything changed."""
    now = _now(now)
    problem = _lock(problem_id)
    today = timezone.localdate(now)
    if problem.state != ProblemState.OPEN or problem.deadline >= today:
        return False
    if problem.overdue_for == problem.deadline:
        return False
    emit("supervision.problem.overdue", problem=problem, at=now)
    current = problem.escalated_to or problem.area
    above = current.parent if current.parent_id else None
    problem.is_overdue = True
    problem.overdue_for = problem.deadline
    if above is not None:
        problem.escalated_to = above
    problem.save(update_fields=["is_overdue", "overdue_for", "escalated_to", "updated_at"])
    _event(
        problem,
        Verb.OVERDUE,
        actor=None,
        from_state=problem.state,
        note=_("Overdue: the deadline was %(d)s.") % {"d": problem.deadline.isoformat()},
        at=now,
        data={"escalated_to": getattr(above, "pk", None)},
    )
    audit(
        actor=None,
        verb="supervision.problem.overdue",
        obj=problem,
        data={"deadline": problem.deadline.isoformat(), "escalated_to": getattr(above, "pk", None)},
    )
    return True


@transaction.atomic
def problem_to_case(*, actor, problem: Problem, grid: Area | None = None, now=None) -> Problem:
    """Push the problem into the case loop 闭环 as a case from a supervision finding, on the
    problem's grid or a grid inside its area. Once only."""
    from wangge.cases.choices import Source
    from wangge.cases.services import case_report

    now = _now(now)
    problem = _lock(problem)
    _require_supervisor(actor, problem.area_path)
    _require_state(
        problem,
        (ProblemState.OPEN, ProblemState.RECTIFIED),
        _("A %(state)s problem is not sent to the case loop."),
    )
    if problem.case_id:
        raise TransitionNotAllowed(
            _("This problem is already case %(n)s.") % {"n": problem.case_number}
        )
    area = problem.area
    if area.level in (AreaLevel.GRID, AreaLevel.MICROGRID):
        grid = grid or area
    if grid is None:
        raise DomainError(_("Choose the grid of the case."), field="grid")
    if not grid.path.startswith(problem.area_path) and not problem.area_path.startswith(grid.path):
        raise DomainError(_("The grid must lie inside the problem's area."), field="grid")
    case = case_report(
        actor=actor,
        source=Source.SUPERVISION,
        description=problem.description,
        title=problem.description[:30],
        area=grid,
        at=now,
    )
    problem.case_id = case.pk
    problem.case_number = case.number
    problem.save(update_fields=["case_id", "case_number", "updated_at"])
    _event(
        problem,
        Verb.TO_CASE,
        actor=actor,
        from_state=problem.state,
        note=case.number,
        at=now,
        data={"case": case.pk},
    )
    audit(actor=actor, verb="supervision.problem.to_case", obj=problem, data={"case": case.pk})
    return problem


# --- bulletins ---------------------------------------------------------------------------


def _bulletin_area(area) -> Area:
    area = _area(area)
    if area.level not in (AreaLevel.TOWN, AreaLevel.COUNTY):
        raise DomainError(_("A bulletin is issued for a town or the county."), field="area")
    return area


@transaction.atomic
def bulletin_generate(
    *, actor, area: Area, kind: str, day: dt.date | None = None, now=None
) -> Bulletin:
    """Generate a draft bulletin 通报 for the period of `kind` holding `day` (by default the
    last complete one) from the data, frozen into its content."""
    from .bulletins import build_content

    now = _now(now)
    area = _bulletin_area(area)
    _require_supervisor(actor, area.path)
    if kind not in BulletinKind.values:
        raise DomainError(_("Unknown kind of bulletin."), field="kind")
    today = timezone.localdate(now)
    day = day or periods.last_complete(kind, today)
    if not isinstance(day, dt.date):
        raise DomainError(_("Give a valid date."), field="day")
    start, end, number = periods.bulletin_period(kind, day)
    if start > today:
        raise DomainError(_("This period has not begun yet."), field="day")
    existing = Bulletin.objects.filter(area=area, kind=kind, start=start).first()
    if existing is not None:
        raise DomainError(
            _("%(area)s already has the bulletin %(number)s (%(state)s).")
            % {"area": area.name, "number": number, "state": existing.get_state_display()},
            field="day",
        )
    title = _("%(area)s %(kind)s bulletin %(number)s") % {
        "area": area.name,
        "kind": BulletinKind(kind).label,
        "number": number,
    }
    bulletin = Bulletin.objects.create(
        kind=kind,
        area=area,
        area_path=area.path,
        start=start,
        end=end,
        number=number,
        title=title[:200],
        content=build_content(user=actor, area=area, start=start, end=end, now=now),
        generated_at=now,
        created_by=actor,
    )
    audit(
        actor=actor,
        verb="supervision.bulletin.generate",
        obj=bulletin,
        data={"start": start.isoformat(), "end": end.isoformat()},
    )
    return bulletin


def _lock_bulletin(bulletin: Bulletin) -> Bulletin:
    return Bulletin.objects.select_for_update().select_related("area").get(pk=bulletin.pk)


def _not_published(bulletin: Bulletin) -> None:
    if bulletin.state == BulletinState.PUBLISHED:
        raise TransitionNotAllowed(
            _("This bulletin was published on %(d)s and can no longer be changed.")
            % {"d": timezone.localtime(bulletin.published_at).strftime("%Y-%m-%d %H:%M")}
        )


@transaction.atomic
def bulletin_regenerate(*, actor, bulletin: Bulletin, now=None) -> Bulletin:
    """Draw the content again from today's data (before publication only; a reviewed bulletin
    goes back to draft)."""
    from .bulletins import build_content

    now = _now(now)
    bulletin = _lock_bulletin(bulletin)
    _require_supervisor(actor, bulletin.area_path)
    _not_published(bulletin)
    bulletin.content = build_content(
        user=actor, area=bulletin.area, start=bulletin.start, end=bulletin.end, now=now
    )
    bulletin.generated_at = now
    bulletin.state = BulletinState.DRAFT
    bulletin.reviewed_by = None
    bulletin.reviewed_at = None
    bulletin.save()
    audit(actor=actor, verb="supervision.bulletin.regenerate", obj=bulletin)
    return bulletin


@transaction.atomic
def bulletin_update(
    *, actor, bulletin: Bulletin, title: str | None = None, remarks: str | None = None
) -> Bulletin:
    """Edit the title and the remarks 按语 (before publication; a reviewed bulletin goes back
    to draft and needs reviewing again)."""
    bulletin = _lock_bulletin(bulletin)
    _require_supervisor(actor, bulletin.area_path)
    _not_published(bulletin)
    if title is not None:
        bulletin.title = _text(title, field="title", max_length=200, required=True)
    if remarks is not None:
        bulletin.remarks = _text(remarks, field="remarks", max_length=10000)
    bulletin.state = BulletinState.DRAFT
    bulletin.reviewed_by = None
    bulletin.reviewed_at = None
    bulletin.save()
    audit(actor=actor, verb="supervision.bulletin.update", obj=bulletin)
    return bulletin


@transaction.atomic
def bulletin_review(*, actor, bulletin: Bulletin, now=None) -> Bulletin:
    """Draft → reviewed 已审核."""
    now = _now(now)
    bulletin = _lock_bulletin(bulletin)
    _require_supervisor(actor, bulletin.area_path)
    _not_published(bulletin)
    if bulletin.state != BulletinState.DRAFT:
        raise TransitionNotAllowed(_("This bulletin has already been reviewed."))
    bulletin.state = BulletinState.REVIEWED
    bulletin.reviewed_by = actor
    bulletin.reviewed_at = now
    bulletin.save(update_fields=["state", "reviewed_by", "reviewed_at", "updated_at"])
    audit(actor=actor, verb="supervision.bulletin.review", obj=bulletin)
    return bulletin


@transaction.atomic
def bulletin_publish(*, actor, bulletin: Bulletin, now=None) -> Bulletin:
    """Reviewed → published 已发布 to the areas concerned. Publishing twice is refused."""
    now = _now(now)
    bulletin = _lock_bulletin(bulletin)
    _require_supervisor(actor, bulletin.area_path)
    if bulletin.state == BulletinState.PUBLISHED:
        raise TransitionNotAllowed(
            _("This bulletin was already published on %(d)s.")
            % {"d": timezone.localtime(bulletin.published_at).strftime("%Y-%m-%d %H:%M")}
        )
    if bulletin.state != BulletinState.REVIEWED:
        raise TransitionNotAllowed(_("A bulletin is reviewed before it is published."))
    bulletin.state = BulletinState.PUBLISHED
    bulletin.published_by = actor
    bulletin.published_at = now
    bulletin.save(update_fields=["state", "published_by", "published_at", "updated_at"])
    audit(actor=actor, verb="supervision.bulletin.publish", obj=bulletin)
    return bulletin
