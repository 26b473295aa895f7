"""Reads of disclosures, decisions, resident feedback and the issue ledger.

Staff reads go through the viewer's scope (a post covers its subtree; outside it → 404); the
public reads (village page 一村一码) only ever return published content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from wangge.accounts.models import Post
from wangge.accounts.selectors import Scope, active_posts
from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area

from . import periods
from .choices import (
    ACTION_ROLES,
    PUBLIC_DECISION_STAGES,
    PUBLIC_PAGE_LIMIT,
    PUBLIC_REFUSED_STAGES,
    VOTED_DECISION_STAGES,
    Action,
    DisclosureStatus,
    FeedbackKind,
    IssueStatus,
    PeriodKind,
)
from .models import Decision, Disclosure, DisclosureItem, Feedback, FocalIssue

# --- scope -----------------------------------------------------------------------------


def disclosure_scope(user, action: str = Action.VIEW) -> Scope:
    """The area subtrees in which `user` may do `action` on village transparency."""
    if not getattr(user, "is_authenticated", False):
        return Scope(())
    if user.is_superuser:
        return Scope(None)
    roles = ACTION_ROLES[action]
    paths: list[str] = []
    for p in sorted(active_posts(user), key=lambda p: len(p.area.path)):
        if p.role in roles and not any(p.area.path.startswith(q) for q in paths):
            paths.append(p.area.path)
    return Scope(tuple(sorted(paths)))


def can(user, action: str, path: str) -> bool:
    return disclosure_scope(user, action).covers(path)


def villages_for_user(*, user, action: str = Action.VIEW) -> QuerySet[Area]:
    scope = disclosure_scope(user, action)
    return Area.objects.filter(scope.q("path"), level=AreaLevel.VILLAGE, is_active=True).order_by(
        "path"
    )


def towns_for_user(*, user) -> QuerySet[Area]:
    """Towns the user can see statistics of: a town post, or above it."""
    scope = disclosure_scope(user, Action.VIEW)
    if scope.is_global:
        return Area.objects.filter(level=AreaLevel.TOWN).order_by("path")
    q = Q(pk__in=[])
    for p in scope.paths:
        # a town inside the scope, or the town that contains a village-level post
        q |= Q(path__startswith=p) | Q(path=p[: 2 * Area.steplen])
    return Area.objects.filter(q, level=AreaLevel.TOWN).order_by("path")


def village_get(*, user, pk, action: str = Action.VIEW) -> Area:
    return get_object_or_404(villages_for_user(user=user, action=action), pk=pk)


def items_active() -> QuerySet[DisclosureItem]:
    return DisclosureItem.objects.filter(is_active=True)


# --- staff reads ------------------------------------------------------------------------


def disclosures_for_user(*, user, action: str = Action.VIEW) -> QuerySet[Disclosure]:
    scope = disclosure_scope(user, action)
    return Disclosure.objects.filter(scope.q("area_path")).select_related("village", "item")


def disclosure_get(*, user, pk, action: str = Action.VIEW) -> Disclosure:
    return get_object_or_404(disclosures_for_user(user=user, action=action), pk=pk)


def decisions_for_user(*, user, action: str = Action.VIEW) -> QuerySet[Decision]:
    scope = disclosure_scope(user, action)
    return Decision.objects.filter(scope.q("area_path")).select_related("village", "plan")


def decision_get(*, user, pk, action: str = Action.VIEW) -> Decision:
    return get_object_or_404(decisions_for_user(user=user, action=action), pk=pk)


def feedback_for_user(*, user, action: str = Action.VIEW) -> QuerySet[Feedback]:
    scope = disclosure_scope(user, action)
    return Feedback.objects.filter(scope.q("area_path")).select_related(
        "village", "disclosure", "decision"
    )


def feedback_get(*, user, pk, action: str = Action.VIEW) -> Feedback:
    return get_object_or_404(feedback_for_user(user=user, action=action), pk=pk)


def issues_for_user(*, user, action: str = Action.VIEW) -> QuerySet[FocalIssue]:
    scope = disclosure_scope(user, action)
    return FocalIssue.objects.filter(scope.q("area_path")).select_related("village")


def issue_get(*, user, pk, action: str = Action.VIEW) -> FocalIssue:
    return get_object_or_404(issues_for_user(user=user, action=action), pk=pk)


# --- public reads (一村一码) --------------------------------------------------------------


def public_village(code: str) -> Area:
    """The village behind a QR code; 404 for an unknown code or an area that is not a village."""
    return get_object_or_404(Area, code=code, level=AreaLevel.VILLAGE, is_active=True)


def public_disclosures(village: Area) -> QuerySet[Disclosure]:
    return (
        Disclosure.objects.filter(village=village, status=DisclosureStatus.PUBLISHED)
        .select_related("item")
        .order_by("-published_at", "-id")
    )


def public_disclosure_get(village: Area, pk) -> Disclosure:
    return get_object_or_404(public_disclosures(village).prefetch_related("attachments"), pk=pk)


def public_decisions(village: Area) -> QuerySet[Decision]:
    """Published decisions and, with the town's reason, 一事一议 plans the town refused."""
    return Decision.objects.filter(
        village=village, stage__in=(*PUBLIC_DECISION_STAGES, *PUBLIC_REFUSED_STAGES)
    ).order_by(F("resolution_published_at").desc(nulls_first=True), "-updated_at", "-id")


def public_decision_get(village: Area, pk) -> Decision:
    return get_object_or_404(
        public_decisions(village).select_related("plan").prefetch_related("steps"), pk=pk
    )


def public_answered_questions(*, disclosure=None, decision=None) -> QuerySet[Feedback]:
    qs = Feedback.objects.filter(kind=FeedbackKind.QUESTION).exclude(answered_at=None)
    if disclosure is not None:
        qs = qs.filter(disclosure=disclosure)
    if decision is not None:
        qs = qs.filter(decision=decision)
    return qs.order_by("-answered_at")


def public_rating(*, disclosure=None, decision=None) -> dict:
    from django.db.models import Avg

    qs = Feedback.objects.filter(kind=FeedbackKind.RATING)
    qs = (
        qs.filter(disclosure=disclosure) if disclosure is not None else qs.filter(decision=decision)
    )
    agg = qs.aggregate(avg=Avg("rating"), n=Count("id"))
    return {"average": round(agg["avg"], 1) if agg["avg"] else None, "count": agg["n"]}


def public_issues(village: Area) -> QuerySet[FocalIssue]:
    return FocalIssue.objects.filter(village=village).order_by("status", "-raised_on", "-id")


def public_grid_workers(village: Area) -> list[dict]:
    """Grid workers of the village's grids: public servants, shown with name, role, grid and
    phone so residents can reach them."""
    from wangge.accounts.choices import GRID_WORKER_ROLES, Role

    posts = (
        Post.objects.active()
        .filter(
            area__path__startswith=village.path,
            role__in=[*GRID_WORKER_ROLES, Role.VILLAGE_GRID_CHIEF],
        )
        .select_related("user", "area")
        .order_by("area__path", "role", "user_id")
    )
    out, seen = [], set()
    for p in posts:
        key = (p.user_id, p.area_id)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            {
                "name": str(p.user),
                "role": p.get_role_display(),
                "area": p.area.name,
                "phone": p.user.phone,
            }
        )
    return out


def public_page(village: Area) -> dict:
    """Everything the village page shows, in a handful of queries."""
    limit = PUBLIC_PAGE_LIMIT
    return {
        "village": village,
        "disclosures": list(public_disclosures(village)[:limit]),
        "decisions": list(public_decisions(village)[:limit]),
        "issues": list(public_issues(village)[:limit]),
        "workers": public_grid_workers(village),
    }


# --- completeness (town view) ------------------------------------------------------------


@dataclass
class VillageCompleteness:
    village: Area
    required: int = 0
    missing: list[tuple[DisclosureItem, str]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.required - len(self.missing)

    @property
    def complete(self) -> bool:
        return not self.missing


def completeness(*, user, period: str, town: Area | None = None) -> list[VillageCompleteness]:
    """For each village in the user's scope (or in `town`), the mandatory (item, period) pairs
    not yet published for `period`: a quarter also needs the monthly items of its three
    months, a year the quarterly and monthly ones."""
    target = periods.parse(period)
    villages = villages_for_user(user=user)
    if town is not None:
        villages = villages.filter(path__startswith=town.path)
    villages = list(villages)
    items = list(items_active().filter(is_mandatory=True))
    needed: list[tuple[DisclosureItem, str]] = []
    for p in target.expand():
        for item in items:
            if item.period_kind == p.kind:
                needed.append((item, str(p)))
    published = set(
        Disclosure.objects.filter(
            village__in=villages,
            status=DisclosureStatus.PUBLISHED,
            period__in={str(p) for p in target.expand()},
        ).values_list("village_id", "item_id", "period")
    )
    out = []
    for v in villages:
        row = VillageCompleteness(village=v, required=len(needed))
        row.missing = [(i, p) for i, p in needed if (v.pk, i.pk, p) not in published]
        out.append(row)
    return out


# --- statistics per town and period ------------------------------------------------------


@dataclass
class VillageStats:
    village: Area
    disclosed: int = 0
    questions: int = 0
    answered: int = 0
    askers: int = 0
    ratings: int = 0
    supervision_reports: int = 0
    decisions: int = 0
    issues_open: int = 0
    issues_crossed_off: int = 0


def _window(period: str) -> tuple[dt.datetime, dt.datetime]:
    p = periods.parse(period)
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(p.start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(p.end, dt.time.min, tzinfo=tz),
    )


def statistics(*, user, town: Area, period: str) -> tuple[list[VillageStats], VillageStats]:
    """Per village of `town` (within the user's scope) for the time window of `period`: items
    disclosed, questions received and answered, distinct people who asked, decisions made,
    ledger items still open (now) and crossed off in the window. Returns rows and totals."""
    start, end = _window(period)
    villages = list(villages_for_user(user=user).filter(path__startswith=town.path))
    rows = {v.pk: VillageStats(village=v) for v in villages}

    def by_village(qs, **annotations):
        return qs.filter(village__in=villages).values("village_id").annotate(**annotations)

    for r in by_village(
        Disclosure.objects.filter(
            status=DisclosureStatus.PUBLISHED, published_at__gte=start, published_at__lt=end
        ),
        n=Count("id"),
    ):
        rows[r["village_id"]].disclosed = r["n"]
    for r in by_village(
        Feedback.objects.filter(created_at__gte=start, created_at__lt=end),
        questions=Count("id", filter=Q(kind=FeedbackKind.QUESTION)),
        answered=Count("id", filter=Q(kind=FeedbackKind.QUESTION, answered_at__isnull=False)),
        askers=Count("phone", filter=Q(kind=FeedbackKind.QUESTION), distinct=True),
        ratings=Count("id", filter=Q(kind=FeedbackKind.RATING)),
        supervision=Count("id", filter=Q(kind=FeedbackKind.SUPERVISION)),
    ):
        s = rows[r["village_id"]]
        s.questions, s.answered, s.askers = r["questions"], r["answered"], r["askers"]
        s.ratings, s.supervision_reports = r["ratings"], r["supervision"]
    for r in by_village(
        Decision.objects.filter(
            stage__in=VOTED_DECISION_STAGES,
            voted_on__gte=start.date(),
            voted_on__lt=end.date(),
        ),
        n=Count("id"),
    ):
        rows[r["village_id"]].decisions = r["n"]
    for r in by_village(
        FocalIssue.objects.all(),
        open=Count("id", filter=Q(status__in=[IssueStatus.OPEN, IssueStatus.RECTIFIED])),
        crossed=Count(
            "id",
            filter=Q(
                status=IssueStatus.CROSSED_OFF, crossed_off_at__gte=start, crossed_off_at__lt=end
            ),
        ),
    ):
        rows[r["village_id"]].issues_open = r["open"]
        rows[r["village_id"]].issues_crossed_off = r["crossed"]

    total = VillageStats(village=town)
    for s in rows.values():
        for f in (
            "disclosed",
            "questions",
            "answered",
            "ratings",
            "supervision_reports",
            "decisions",
            "issues_open",
            "issues_crossed_off",
        ):
            setattr(total, f, getattr(total, f) + getattr(s, f))
    # distinct people across the town, not the sum of the villages
    total.askers = (
        Feedback.objects.filter(
            village__in=villages,
            kind=FeedbackKind.QUESTION,
            created_at__gte=start,
            created_at__lt=end,
        )
        .values("phone")
        .distinct()
        .count()
    )
    return list(rows.values()), total


def default_period() -> str:
    return str(periods.current(PeriodKind.QUARTERLY))
