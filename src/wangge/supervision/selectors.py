"""Reads of supervision, the problem list and bulletins, filtered by the viewer's scope.

Supervision (items, inspections, the problem list, statistics) is seen by those holding
`Capability.SUPERVISE` over an area's subtree, and each problem by its responsible person as
well. A published bulletin is also seen by everyone whose posts lie inside the area it was
published for (the villages of a town read the town's bulletin). Anything else answers 404.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404
from django.utils import timezone

from wangge.accounts.choices import Capability
from wangge.accounts.selectors import active_posts, user_scope
from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area

from .choices import BulletinState, ProblemState, Verb
from .models import Bulletin, Inspection, Problem, ProblemEvent, SupervisionItem


def supervise_scope(user):
    return user_scope(user, Capability.SUPERVISE)


def can_supervise(user, path: str) -> bool:
    if user is None:
        return True
    return supervise_scope(user).covers(path)


def areas_for_user(*, user, levels=None) -> QuerySet[Area]:
    qs = Area.objects.filter(supervise_scope(user).q("path"), is_active=True)
    if levels:
        qs = qs.filter(level__in=levels)
    return qs.order_by("path")


def bulletin_areas_for_user(*, user) -> QuerySet[Area]:
    return areas_for_user(user=user, levels=[AreaLevel.COUNTY, AreaLevel.TOWN])


def area_get(*, user, pk) -> Area:
    return get_object_or_404(areas_for_user(user=user), pk=pk)


def responsible_candidates(*, area: Area):
    """People who may be made responsible for a problem in `area`: anyone holding a post on
    the area, inside it or above it."""
    from wangge.accounts.models import Post, User

    paths = [*area.ancestor_paths(), area.path]
    posts = Post.objects.active().filter(
        Q(area__path__startswith=area.path) | Q(area__path__in=paths)
    )
    return User.objects.filter(is_active=True, pk__in=posts.values("user_id")).order_by(
        "full_name", "id"
    )


# --- supervision items and inspections ----------------------------------------------------


def items_for_user(*, user) -> QuerySet[SupervisionItem]:
    return SupervisionItem.objects.filter(supervise_scope(user).q("area_path")).select_related(
        "area"
    )


def item_get(*, user, pk) -> SupervisionItem:
    return get_object_or_404(items_for_user(user=user), pk=pk)


def inspections_for_user(*, user) -> QuerySet[Inspection]:
    return Inspection.objects.filter(supervise_scope(user).q("area_path")).select_related(
        "area", "inspector", "item"
    )


def inspection_get(*, user, pk) -> Inspection:
    return get_object_or_404(inspections_for_user(user=user), pk=pk)


# --- problems ----------------------------------------------------------------------------


def problems_for_user(*, user) -> QuerySet[Problem]:
    """Problems in the viewer's supervision scope, and those the viewer is responsible for."""
    q = supervise_scope(user).q("area_path")
    if getattr(user, "pk", None):
        q |= Q(responsible_id=user.pk)
    return Problem.objects.filter(q).select_related("area", "responsible", "escalated_to")


def problem_get(*, user, pk) -> Problem:
    return get_object_or_404(problems_for_user(user=user), pk=pk)


def problem_timeline(problem: Problem) -> QuerySet[ProblemEvent]:
    return problem.events.select_related("actor").order_by("at", "id")


def my_problems(*, user) -> QuerySet[Problem]:
    """Problems the viewer has to rectify, overdue first, then by deadline; `reminded` tells
    whether the supervisor has sent a reminder 督办提醒."""
    reminders = ProblemEvent.objects.filter(problem=OuterRef("pk"), verb=Verb.REMIND)
    return (
        Problem.objects.filter(responsible_id=user.pk, state=ProblemState.OPEN)
        .annotate(reminded=Exists(reminders))
        .select_related("area")
        .order_by("-is_overdue", "deadline", "id")
    )


def problems_to_verify(*, user) -> QuerySet[Problem]:
    """Rectified problems waiting for the supervisor's verification, and verified ones to be
    crossed off, in the viewer's supervision scope."""
    return (
        Problem.objects.filter(
            supervise_scope(user).q("area_path"),
            state__in=[ProblemState.RECTIFIED, ProblemState.VERIFIED],
        )
        .select_related("area", "responsible")
        .order_by("-is_overdue", "deadline", "id")
    )


def problems_escalated_to_me(*, user) -> QuerySet[Problem]:
    """Overdue problems that have been escalated to an area on which the viewer holds a
    supervising post (督办 one level up)."""
    scope = supervise_scope(user)
    if scope.is_global:
        q = Q(escalated_to__level__in=[AreaLevel.COUNTY, AreaLevel.TOWN])
    else:
        ids = [p.area_id for p in active_posts(user) if Capability.SUPERVISE in _caps(p.role)]
        q = Q(escalated_to_id__in=ids)
    return (
        Problem.objects.filter(q, is_overdue=True, state=ProblemState.OPEN)
        .exclude(escalated_to_id=None)
        .filter(scope.q("area_path"))
        .select_related("area", "responsible")
        .order_by("deadline", "id")
    )


def _caps(role):
    from wangge.accounts.choices import ROLE_CAPABILITIES

    return ROLE_CAPABILITIES.get(role, set())


# --- bulletins ---------------------------------------------------------------------------


def bulletins_for_user(*, user) -> QuerySet[Bulletin]:
    """Bulletins of the viewer's supervision scope in any state, and published bulletins of
    any area that covers one of the viewer's posts or lies inside it."""
    sup = supervise_scope(user)
    if sup.is_global:
        return Bulletin.objects.select_related("area")
    published = Q(pk__in=[])
    paths = {p.area.path for p in active_posts(user)}
    above: set[str] = set()
    for path in paths:
        above.update(path[:i] for i in range(Area.steplen, len(path) + 1, Area.steplen))
        published |= Q(area_path__startswith=path)
    if above:
        published |= Q(area_path__in=sorted(above))
    q = sup.q("area_path") | (Q(state=BulletinState.PUBLISHED) & published)
    return Bulletin.objects.filter(q).select_related("area")


def bulletin_get(*, user, pk) -> Bulletin:
    return get_object_or_404(bulletins_for_user(user=user), pk=pk)


def bulletin_get_for_edit(*, user, pk) -> Bulletin:
    return get_object_or_404(
        Bulletin.objects.filter(supervise_scope(user).q("area_path")).select_related("area"),
        pk=pk,
    )


# --- statistics --------------------------------------------------------------------------

STAT_KEYS = ("items", "inspections", "found", "rectified", "crossed_off", "overdue")


def _bounds(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return lo, hi


def statistics(*, area: Area, start: dt.date, end: dt.date) -> dict:
    """Per child of `area` (and the total): supervision items of the period, inspections,
    problems found, rectified, crossed off and run overdue in it. Six grouped queries,
    whatever the number of rows.

    - items: items whose period starts inside start..end
    - inspections: inspections dated inside it
    - found: problems found (created) inside it
    - rectified / crossed_off / overdue: problems with such a step inside it (each problem
      counted once per kind)
    """
    children = list(
        Area.objects.filter(parent=area, is_active=True).only("id", "name", "path").order_by("path")
    )
    plen = len(children[0].path) if children else len(area.path) + Area.steplen
    lo, hi = _bounds(start, end)
    sub = Q(area_path__startswith=area.path)

    def grouped(qs, field="area_path", distinct=None):
        rows = (
            qs.annotate(prefix=Substr(field, 1, plen))
            .values("prefix")
            .annotate(n=Count(distinct or "id", distinct=bool(distinct)))
            .order_by()
        )
        return {r["prefix"]: r["n"] for r in rows}

    events = ProblemEvent.objects.filter(
        problem__area_path__startswith=area.path, at__gte=lo, at__lt=hi
    )
    data = {
        "items": grouped(SupervisionItem.objects.filter(sub, start__gte=start, start__lte=end)),
        "inspections": grouped(
            Inspection.objects.filter(sub, inspected_on__gte=start, inspected_on__lte=end)
        ),
        "found": grouped(Problem.objects.filter(sub, created_at__gte=lo, created_at__lt=hi)),
        "rectified": grouped(events.filter(verb=Verb.RECTIFY), "problem__area_path", "problem_id"),
        "crossed_off": grouped(
            events.filter(verb=Verb.CROSS_OFF), "problem__area_path", "problem_id"
        ),
        "overdue": grouped(events.filter(verb=Verb.OVERDUE), "problem__area_path", "problem_id"),
    }
    rows = []
    for child in children:
        rows.append({"area": child, **{k: data[k].get(child.path, 0) for k in STAT_KEYS}})
    # Rows filed on the area itself (not on a child) count in the total only.
    total = {k: sum(data[k].values()) for k in STAT_KEYS}
    return {"area": area, "start": start, "end": end, "rows": rows, "total": total}


def recount_statistics(*, area: Area, start: dt.date, end: dt.date) -> dict:
    """The totals of `statistics` counted again row by row in Python: the check that the
    grouped queries are right (tests, `manage.py shell`)."""
    lo, hi = _bounds(start, end)
    p = area.path
    total = dict.fromkeys(STAT_KEYS, 0)
    for i in SupervisionItem.objects.all():
        total["items"] += i.area_path.startswith(p) and start <= i.start <= end
    for i in Inspection.objects.all():
        total["inspections"] += i.area_path.startswith(p) and start <= i.inspected_on <= end
    for pr in Problem.objects.all():
        total["found"] += pr.area_path.startswith(p) and lo <= pr.created_at < hi
        if not pr.area_path.startswith(p):
            continue
        verbs = {e.verb for e in pr.events.all() if lo <= e.at < hi}
        total["rectified"] += Verb.RECTIFY in verbs
        total["crossed_off"] += Verb.CROSS_OFF in verbs
        total["overdue"] += Verb.OVERDUE in verbs
    return total
