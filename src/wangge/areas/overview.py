"""Aggregate reads over the territory tree for dashboards and the area browser: how many
grids, households and residents lie under each area, in one query however many areas."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from wangge.accounts.models import Post
from wangge.people.models import Household, Resident

from .choices import AreaLevel
from .models import Area, AreaChange


def _subtree_count(qs: QuerySet, field: str) -> Coalesce:
    """COUNT(*) of `qs` rows whose `field` starts with the outer area's path."""
    sub = (
        qs.filter(**{f"{field}__startswith": OuterRef("path")})
        .order_by()
        .annotate(_all=Value(1))
        .values("_all")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def with_counts(areas: QuerySet[Area]) -> QuerySet[Area]:
    """Annotate each area with `n_grids`, `n_households` and `n_residents` in its subtree
    (active grids; living residents). Correlated subqueries: one SQL statement in all."""
    return areas.annotate(
        n_grids=_subtree_count(Area.objects.filter(level=AreaLevel.GRID, is_active=True), "path"),
        n_households=_subtree_count(Household.objects.all(), "area_path"),
        n_residents=_subtree_count(Resident.objects.filter(is_deceased=False), "area_path"),
    )


def area_posts(area: Area) -> QuerySet[Post]:
    """The active posts held on exactly this area (who serves it)."""
    return Post.objects.active().filter(area=area).select_related("user").order_by("role", "id")


def area_history(area: Area, limit: int = 50) -> QuerySet[AreaChange]:
    return AreaChange.objects.filter(area=area).select_related("actor", "old_parent", "new_parent")[
        :limit
    ]
