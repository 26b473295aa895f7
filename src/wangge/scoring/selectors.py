"""Reads of the scoring app, filtered by the viewer's scope (Capability.VIEW_ASSESSMENTS; a
person always sees their own points). Out of scope answers 404 (NotFound / Http404)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.choices import Capability, Role
from wangge.accounts.selectors import active_posts, user_scope
from wangge.cases.kpis import kpis_by_prefix, subtree
from wangge.core.errors import NotFound

from . import rules as R
from . import triggers as T
from .choices import AssessmentState, PeriodKind, SubjectKind
from .models import Admonishment, Assessment, AssessmentSettings, PointEntry, PointRule

ZERO = Decimal("0")


def _scope(user, capability=Capability.VIEW_ASSESSMENTS):
    """The user's scope; None is the system (a periodic task generating a bulletin): all."""
    from wangge.accounts.selectors import Scope

    return Scope(None) if user is None else user_scope(user, capability)


def _scope_q(user, field="area_path", capability=Capability.VIEW_ASSESSMENTS) -> Q:
    scope = _scope(user, capability)
    if scope.is_global:
        return Q()
    if scope.is_empty:
        return Q(pk__in=[])
    q = Q()
    for p in scope.paths:
        q |= subtree(field, p)
    return q


def can_view_assessments(user) -> bool:
    return not user_scope(user, Capability.VIEW_ASSESSMENTS).is_empty


def can_manage_points(user) -> bool:
    return not user_scope(user, Capability.MANAGE_POINTS).is_empty


def member_of(user):
    from wangge.party.models import PartyMember

    if not getattr(user, "is_authenticated", False):
        return None
    return PartyMember.objects.filter(user=user, is_active=True).only("pk", "name").first()


def _own_q(user) -> Q:
    q = Q(subject_kind=SubjectKind.USER, subject_id=user.pk)
    member = member_of(user)
    if member is not None:
        q |= Q(subject_kind=SubjectKind.MEMBER, subject_id=member.pk)
    return q


def entries_for_user(*, user) -> QuerySet[PointEntry]:
    """The ledger lines a user may read: their scope's, and their own."""
    if not getattr(user, "is_authenticated", False):
        return PointEntry.objects.none()
    return PointEntry.objects.filter(_scope_q(user) | _own_q(user)).select_related("rule")


def entry_get(*, user, pk) -> PointEntry:
    entry = entries_for_user(user=user).filter(pk=pk).first()
    if entry is None:
        raise NotFound(_("No such entry."))
    return entry


def my_entries(user) -> QuerySet[PointEntry]:
    return PointEntry.objects.filter(_own_q(user)).select_related("rule").order_by("-day", "-id")


def my_balances(user, today: dt.date | None = None) -> dict:
    """This month's, quarter's and year's points of the user (as worker and as member)."""
    today = today or timezone.localdate()
    out = {}
    own = PointEntry.objects.filter(_own_q(user))
    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR):
        start, end = R.period_bounds(kind, today)
        total = own.filter(day__gte=start, day__lte=end).aggregate(s=Sum("points"))["s"]
        out[kind] = {"start": start, "end": end, "points": total or ZERO}
    return out


def rules_visible() -> QuerySet[PointRule]:
    return PointRule.objects.order_by("-is_active", "trigger", "code")


def assessments_for_user(*, user) -> QuerySet[Assessment]:
    if not getattr(user, "is_authenticated", False):
        return Assessment.objects.none()
    own = Q(subject_kind=SubjectKind.USER, subject_id=user.pk)
    return Assessment.objects.filter(_scope_q(user) | own)


def assessment_get(*, user, pk) -> Assessment:
    a = assessments_for_user(user=user).filter(pk=pk).first()
    if a is None:
        raise NotFound(_("No such assessment."))
    return a


def assessment_entries(a: Assessment) -> QuerySet[PointEntry]:
    """The breakdown of an assessment: every ledger entry of the subject in its period."""
    return (
        PointEntry.objects.filter(
            subject_kind=a.subject_kind, subject_id=a.subject_id, day__gte=a.start, day__lte=a.end
        )
        .select_related("rule")
        .order_by("day", "id")
    )


def admonishments_for_user(*, user) -> QuerySet[Admonishment]:
    return Admonishment.objects.filter(_scope_q(user)).select_related("assessment", "talked_by")


def admonishment_get(*, user, pk) -> Admonishment:
    a = admonishments_for_user(user=user).filter(pk=pk).first()
    if a is None:
        raise NotFound(_("No such admonishment."))
    return a


def periods_assessed(kind: str) -> list[dt.date]:
    return list(
        Assessment.objects.filter(period_kind=kind)
        .values_list("start", flat=True)
        .distinct()
        .order_by("-start")[:40]
    )


# --------------------------------------------------------------------------- links


_SOURCE_URLS = {
    "cases.case": "cases:detail",
    "fieldwork.patrol": "fieldwork:patrol_detail",
    "fieldwork.visit": "fieldwork:visit_detail",
    "supervision.inspection": "supervision:inspection_detail",
    "supervision.problem": "supervision:problem_detail",
}


def source_url(entry: PointEntry) -> str | None:
    """The page of an entry's source record, where the app has one."""
    if entry.source_type == "fieldwork.dailyreport":
        # The worker's report of that day (the page is keyed by the day).
        try:
            return reverse("fieldwork:report_day", args=[entry.event_day.isoformat()])
        except NoReverseMatch:
            return None
    name = _SOURCE_URLS.get(entry.source_type)
    if not name or entry.source_id is None:
        return None
    try:
        return reverse(name, args=[entry.source_id])
    except NoReverseMatch:
        return None


# --------------------------------------------------------------------------- ranking 打擂台

# The composite score of the village ranking: a weighted mean (weights in percent) of the
# village's assessment score (base + the period's village points) and three rates in percent;
# a rate without any case or problem in the period is left out and the others scaled up.
RANKING_WEIGHTS = {
    "village_score": 40,
    "on_time_rate": 25,
    "satisfaction_rate": 20,
    "crossed_off_rate": 15,
}
RANKING_LABELS = {
    "village_score": gettext_lazy("village score"),
    "on_time_rate": gettext_lazy("on-time resolution rate (%)"),
    "satisfaction_rate": gettext_lazy("satisfaction rate (%)"),
    "crossed_off_rate": gettext_lazy("problems crossed off (%)"),
}


def ranking_formula() -> str:
    parts = [f"{RANKING_LABELS[k]} × {w}%" for k, w in RANKING_WEIGHTS.items()]
    return (
        _("Composite score")
        + " = "
        + " + ".join(parts)
        + _(
            "; the village score is the base score plus the village's points of the period;"
            " a rate without any case or problem in the period is left out and the other"
            " weights are scaled up; the rates come from the case KPIs and the problem list."
        )
    )


def _problem_rates(area_path: str, start: dt.date, end: dt.date) -> dict[str, float]:
    if not T.table_exists("supervision.Problem"):
        return {}
    from wangge.supervision.models import Problem

    prefix = Substr("area_path", 1, T.VILLAGE_PATH_LENGTH)
    base = Problem.objects.filter(subtree("area_path", area_path))
    done = defaultdict(int)
    for row in (
        base.filter(crossed_off_at__date__gte=start, crossed_off_at__date__lte=end)
        .annotate(v=prefix)
        .values("v")
        .annotate(n=Count("id"))
        .order_by()
    ):
        done[row["v"]] = row["n"]
    late = defaultdict(int)
    for row in (
        base.filter(crossed_off_at__isnull=True, deadline__lte=end)
        .annotate(v=prefix)
        .values("v")
        .annotate(n=Count("id"))
        .order_by()
    ):
        late[row["v"]] = row["n"]
    out = {}
    for v in set(done) | set(late):
        total = done[v] + late[v]
        if total:
            out[v] = round(100 * done[v] / total, 1)
    return out


def _pct(value) -> float | None:
    return None if value is None else round(value * 100, 1)


def village_ranking(*, user, area, start: dt.date, end: dt.date) -> list[dict]:
    """The villages of `area`'s subtree ranked by the composite score (RANKING_WEIGHTS), with
    each component. A constant number of queries however many villages there are."""
    from wangge.areas.models import Area

    if not _scope(user).covers(area.path):
        raise NotFound(_("No such area."))
    conf = AssessmentSettings.get()
    villages = list(
        Area.objects.filter(subtree("path", area.path), level="village", is_active=True)
        .only("pk", "name", "code", "path")
        .order_by("path")
    )
    points = dict(
        PointEntry.objects.filter(
            subtree("area_path", area.path),
            subject_kind=SubjectKind.VILLAGE,
            day__gte=start,
            day__lte=end,
        )
        .values("subject_id")
        .annotate(s=Sum("points"))
        .order_by()
        .values_list("subject_id", "s")
    )
    kp = {}
    if villages:
        kp = kpis_by_prefix(
            area_path=area.path, prefix_length=T.VILLAGE_PATH_LENGTH, start=start, end=end
        )
    problems = _problem_rates(area.path, start, end)
    rows = []
    for v in villages:
        k = kp.get(v.path)
        values = {
            "village_score": float(conf.base_score + (points.get(v.pk) or ZERO)),
            "on_time_rate": _pct(k.on_time_resolution_rate) if k else None,
            "satisfaction_rate": _pct(k.satisfaction_rate) if k else None,
            "crossed_off_rate": problems.get(v.path),
        }
        parts = [(RANKING_WEIGHTS[key], val) for key, val in values.items() if val is not None]
        score = round(sum(w * x for w, x in parts) / sum(w for w, _x in parts), 1)
        rows.append(
            {
                "village": v.name,
                "village_code": v.code,
                "village_id": v.pk,
                "score": score,
                "values": values,
                "components": {str(RANKING_LABELS[key]): val for key, val in values.items()},
            }
        )
    rows.sort(key=lambda r: (-r["score"], r["village_code"]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return rows


# --------------------------------------------------------------------------- praise / criticism


def _role_labels(user_ids) -> dict[int, str]:
    from wangge.accounts.models import Post

    labels = dict(Role.choices)
    order = list(Role.values)
    best: dict[int, str] = {}
    for uid, role in (
        Post.objects.active().filter(user_id__in=user_ids).values_list("user_id", "role")
    ):
        if uid not in best or order.index(role) < order.index(best[uid]):
            best[uid] = role
    return {uid: str(labels[r]) for uid, r in best.items()}


def _people(user, area, start, end, *, positive: bool, limit: int) -> list[dict]:
    qs = PointEntry.objects.filter(
        _scope_q(user),
        subtree("area_path", area.path),
        subject_kind=SubjectKind.USER,
        day__gte=start,
        day__lte=end,
    )
    totals = qs.values("subject_id").annotate(s=Sum("points")).order_by("-s" if positive else "s")
    totals = totals.filter(s__gt=0) if positive else totals.filter(s__lt=0)
    top = list(totals.values_list("subject_id", "s")[:limit])
    if not top:
        return []
    ids = [t[0] for t in top]
    names, reasons = {}, defaultdict(Counter)
    for sid, name, rule_name, pts in qs.filter(subject_id__in=ids).values_list(
        "subject_id", "subject_name", "rule__name", "points"
    ):
        names[sid] = name
        if (pts > 0) == positive and pts != 0:
            reasons[sid][rule_name] += 1
    roles = _role_labels(ids)
    return [
        {
            "name": names.get(sid, ""),
            "role": roles.get(sid, ""),
            "reason": "、".join(f"{r}×{n}" for r, n in reasons[sid].most_common(3)),
            "points": float(total),
            "user_id": sid,
        }
        for sid, total in top
    ]


def bulletin_sections(*, user, area, start: dt.date, end: dt.date) -> dict:
    """What a bulletin 通报 needs from the scoring app for `area` and the days start..end:
    the village ranking 打擂台 with its formula, praise and criticism by name. Raises
    wangge.core.errors.NotFound when the area is outside the user's VIEW_ASSESSMENTS scope;
    user=None is the system (a periodic task) and sees everything."""
    ranking = village_ranking(user=user, area=area, start=start, end=end)
    return {
        "ranking": [
            {
                "rank": r["rank"],
                "village": r["village"],
                "village_code": r["village_code"],
                "score": r["score"],
                "components": r["components"],
            }
            for r in ranking
        ],
        "formula": ranking_formula(),
        "praise": _people(user, area, start, end, positive=True, limit=5),
        "criticism": _people(user, area, start, end, positive=False, limit=5),
    }


# --------------------------------------------------------------------------- commendations

COMMENDATION_GROUPS = [
    ("chiefs", gettext_lazy("grid chiefs"), Q(roles__contains="grid_chief")),
    ("workers", gettext_lazy("grid workers"), Q(roles__contains="grid_worker")),
    ("elders", gettext_lazy("five elders (五老)"), Q(roles__contains="elder")),
]


def commendation_lists(*, user, kind: str, start: dt.date, limit: int = 10) -> list[dict]:
    """The outstanding grid chiefs, grid workers and 五老 of an assessed period: the best
    scores of the final assessments in the user's scope, above the base score."""
    conf = AssessmentSettings.get()
    base = Assessment.objects.filter(
        _scope_q(user),
        period_kind=kind,
        start=start,
        subject_kind=SubjectKind.USER,
        state=AssessmentState.FINAL,
        score__gt=conf.base_score,
    ).order_by("-score", "subject_name", "id")
    return [
        {"key": key, "label": label, "rows": list(base.filter(q)[:limit])}
        for key, label, q in COMMENDATION_GROUPS
    ]


def default_area(user):
    """The highest area the user may view assessments of (their first such post)."""
    from wangge.areas.models import Area

    scope = user_scope(user, Capability.VIEW_ASSESSMENTS)
    if scope.is_empty:
        return None
    if scope.is_global:
        return Area.objects.filter(depth=1).order_by("path").first()
    posts = [p for p in active_posts(user) if p.area.path in scope.paths]
    if posts:
        return sorted(posts, key=lambda p: p.area.path)[0].area
    return Area.objects.filter(path=scope.paths[0]).first()


def areas_for_ranking(user):
    """Areas a user can rank the villages of: the county and towns in scope."""
    from wangge.areas.models import Area

    return Area.objects.filter(
        _scope_q(user, field="path"), level__in=["county", "town"], is_active=True
    ).order_by("path")


def bundle_links_for_user(*, user) -> QuerySet:
    from .models import BundleLink

    return BundleLink.objects.filter(_scope_q(user)).select_related("village", "user")


def villages_for_user(*, user, capability=Capability.MANAGE_POINTS) -> QuerySet:
    from wangge.areas.models import Area

    return Area.objects.filter(
        _scope_q(user, field="path", capability=capability), level="village", is_active=True
    ).order_by("path")
