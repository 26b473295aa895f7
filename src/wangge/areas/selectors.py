"""Reads of the territory tree, through the viewer's scope: a post on an area shows that
area's whole subtree."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.shortcuts import get_object_or_404

from wangge.accounts.selectors import user_scope

from .models import Area


def areas_for_user(*, user, capability: str | None = None) -> QuerySet[Area]:
    """Areas inside the subtrees of the user's active posts (those granting `capability` when
    given). The boundary, which can be large, is deferred; `has_boundary_db` tells whether
    there is one without loading it."""
    scope = user_scope(user, capability)
    return (
        Area.objects.filter(scope.q("path"))
        .defer("boundary")
        .annotate(
            has_boundary_db=ExpressionWrapper(
                Q(boundary__isnull=False), output_field=BooleanField()
            )
        )
        .order_by("path")
    )


def area_get(*, user, pk, capability: str | None = None) -> Area:
    """404 when the area does not exist or is outside the user's scope."""
    return get_object_or_404(areas_for_user(user=user, capability=capability), pk=pk)
