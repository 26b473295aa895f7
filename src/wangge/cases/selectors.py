"""Reads of cases, scope-filtered: a post on an area covers its subtree; department staff see
what was dispatched to their department; handlers see their own cases."""

from __future__ import annotations

import datetime as dt
import math

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from wangge.accounts.selectors import active_posts
from wangge.core.errors import NotFound

from . import permissions
from .choices import OPEN_STATES
from .kpis import subtree
from .models import Case, IntakeReceipt

DUPLICATE_RADIUS_M = 200
DUPLICATE_WINDOW_DAYS = 30


def cases_for_user(*, user) -> QuerySet[Case]:
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    q = Q(handler=user) | Q(first_responder=user)
    for post in active_posts(user):
        if post.role in permissions.CASE_ROLES:
            # A path range, not LIKE: an index on area_path serves it on every database.
            q |= subtree("area_path", post.area.path)
    departments = permissions.department_ids(user)
    if departments:
        q |= Q(department_id__in=departments)
    return Case.objects.filter(q)


def scope_parts(*, user) -> list[Q]:
    """The scope of cases_for_user as disjoint conditions whose union is exactly that scope,
    each served by an index of its own: the subtrees of the user's posts (path ranges: the
    (state, area_path, …) index), then outside them the cases the user handles ((handler,
    state)), the other ones they first received ((first_responder, state)), and the other
    ones dispatched to their department ((department, state)). Tested as one OR, as in
    cases_for_user, the database reads every candidate row; counted and paged part by part
    (ScopedCases), a town's dispatch board is read from the indexes."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return [Q()]
    areas = Q()
    for path in user_scope_paths(user):
        areas |= subtree("area_path", path)
    parts = [areas] if areas else []
    outside = ~areas if areas else Q()
    departments = permissions.department_ids(user)
    parts.append(Q(handler=user) & outside)
    parts.append(Q(first_responder=user) & ~Q(handler=user) & outside)
    if departments:
        parts.append(
            Q(department_id__in=departments) & ~Q(handler=user) & ~Q(first_responder=user) & outside
        )
    return parts


def user_scope_paths(user) -> list[str]:
    """The area paths of the user's case posts, without those inside another one."""
    paths = sorted({p.area.path for p in active_posts(user) if p.role in permissions.CASE_ROLES})
    out: list[str] = []
    for path in paths:
        if not any(path.startswith(kept) for kept in out):
            out.append(path)
    return out


class ScopedCases:
    """A filtered case list limited to a user's scope, for Paginator. Counted in one query
    as the sum over the disjoint scope parts (scope_parts: UNION ALL, each part from its own
    index); a page is read as the first keys of each part in the list's order, merged here,
    then the page's rows by id. `queryset` holds the filters, select_related and the like
    but NOT the scope: the scope is applied here, part by part. `order`: field names ("-"
    for descending) of non-null fields, ending with "id" or "-id"."""

    ordered = True

    def __init__(
        self,
        *,
        user,
        queryset: QuerySet[Case],
        order=("-reported_at", "-id"),
        rows: QuerySet[Case] | None = None,
    ):
        if order[-1].lstrip("-") != "id":
            raise ValueError("the order must end with id")
        self.parts = [queryset.filter(part) for part in scope_parts(user=user)]
        self.queryset = queryset
        # The page's rows are read by their keys alone: `rows` is the queryset without the
        # filters (its select_related and the like), else `queryset`. (With the filters, a
        # database may read them from a filter's index instead of by key: SQLite read all
        # of a town's open cases to find a page of thirty.)
        self.rows = queryset if rows is None else rows
        self.order = tuple(order)
        self._count = None

    def count(self) -> int:
        if self._count is None:
            if not self.parts:
                self._count = 0
            elif len(self.parts) == 1:
                self._count = self.parts[0].count()
            else:
                # The state column: on PostgreSQL the biggest part is then an index-only scan.
                first, *others = [qs.order_by().values("state") for qs in self.parts]
                self._count = first.union(*others, all=True).count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        start, stop = key.start or 0, key.stop
        if stop is None:
            stop = self.count()
        if stop <= start or not self.parts:
            return []
        if len(self.parts) == 1:
            return list(self.parts[0].order_by(*self.order)[start:stop])
        fields = [f.lstrip("-") for f in self.order]
        firsts = [qs.order_by(*self.order).values_list(*fields)[:stop] for qs in self.parts]
        if connections[self.queryset.db].features.supports_slicing_ordering_in_compound:
            # One round trip: (part ORDER BY … LIMIT n) UNION ALL (…) (PostgreSQL).
            keys = list(firsts[0].union(*firsts[1:], all=True))
        else:
            keys = [row for first in firsts for row in first]
        # A stable sort per field, the least significant one first.
        for i in reversed(range(len(fields))):
            keys.sort(key=lambda row, i=i: row[i], reverse=self.order[i].startswith("-"))
        ids = [row[-1] for row in keys[start:stop]]
        if not ids:
            return []
        rows = {c.pk: c for c in self.rows.filter(pk__in=ids).order_by()}
        return [rows[pk] for pk in ids if pk in rows]


def case_for_user(*, user, pk) -> Case:
    """The case if the user may see it; otherwise NotFound, as if it did not exist."""
    try:
        return (
            cases_for_user(user=user)
            .select_related(
                "category",
                "grid",
                "grid__parent",
                "area",
                "handler",
                "first_responder",
                "department",
                "merged_into",
            )
            .get(pk=pk)
        )
    except (Case.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such case.")


def case_by_tracking_code(code: str) -> Case | None:
    if not code or len(code) > 64:
        return None
    return (
        Case.objects.select_related("category", "grid", "merged_into")
        .filter(tracking_code=code)
        .first()
    )


def receipt_by_tracking_code(code: str) -> IntakeReceipt | None:
    """The receipt 受理回执 of an acknowledged report (public: the progress board shows that
    it was received before its case exists)."""
    if not code or len(code) > 64:
        return None
    return IntakeReceipt.objects.filter(tracking_code=code).first()


def receipt_for_user(*, user, tracking_code: str) -> tuple[IntakeReceipt, Case | None]:
    """A receipt and its case (None until it is taken in), for the user who sent the report,
    or for anyone who may see its case; NotFound otherwise."""
    receipt = receipt_by_tracking_code(tracking_code)
    if receipt is None:
        raise NotFound(_("No such receipt."))
    case = None
    if receipt.status == "done":
        case = cases_for_user(user=user).filter(tracking_code=receipt.tracking_code).first()
    if case is None and not (user.is_superuser or receipt.actor_id == user.pk):
        raise NotFound(_("No such receipt."))
    return receipt, case


def _distance_m(lat1, lng1, lat2, lng2) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def suggest_duplicates(case: Case, radius_m: float = DUPLICATE_RADIUS_M) -> list[Case]:
    """Open cases of the same category within ~200 m reported in the last 30 days, nearest
    first: candidates for case_merge."""
    if case.lat is None or case.lng is None:
        return []
    dlat = radius_m / 111_000
    dlng = radius_m / (111_000 * max(math.cos(math.radians(case.lat)), 0.01))
    candidates = Case.objects.filter(
        category_id=case.category_id,
        state__in=OPEN_STATES,
        merged_into__isnull=True,
        lat__range=(case.lat - dlat, case.lat + dlat),
        lng__range=(case.lng - dlng, case.lng + dlng),
        reported_at__gte=case.reported_at - dt.timedelta(days=DUPLICATE_WINDOW_DAYS),
    ).exclude(pk=case.pk)
    scored = [(_distance_m(case.lat, case.lng, c.lat, c.lng), c) for c in candidates]
    return [c for d, c in sorted(scored, key=lambda x: x[0]) if d <= radius_m]


def notifications_for_user(*, user) -> QuerySet:
    """The user's own notifications, newest first."""
    from .models import Notification

    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).select_related("case")


def unread_notification_count(*, user) -> int:
    from .models import Notification

    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
