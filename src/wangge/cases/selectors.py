"""Reads of cases, scope-filtered: a post on an area covers its subtree; department staff see
what was dispatched to their department; handlers see their own cases."""

from __future__ import annotations

import datetime as dt
import math

from django.db.models import Q, QuerySet

from wangge.accounts.selectors import active_posts
from wangge.core.errors import NotFound

from . import permissions
from .choices import OPEN_STATES
from .kpis import subtree
from .models import Case

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
