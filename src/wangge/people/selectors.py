"""Reads of households and residents, always through the viewer's scope."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from wangge.accounts.choices import Capability
from wangge.accounts.selectors import user_scope

from .models import Household, Resident, Tag


def households_for_user(*, user, capability: str = Capability.VIEW_PEOPLE) -> QuerySet[Household]:
    scope = user_scope(user, capability)
    return (
        Household.objects.filter(scope.q("area_path"))
        .select_related("area", "grid", "head")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name", "code")))
    )


def household_get(*, user, pk, capability: str = Capability.VIEW_PEOPLE) -> Household:
    """404 when the household does not exist or is outside the user's scope."""
    return get_object_or_404(households_for_user(user=user, capability=capability), pk=pk)


def residents_for_user(*, user, capability: str = Capability.VIEW_PEOPLE) -> QuerySet[Resident]:
    scope = user_scope(user, capability)
    return (
        Resident.objects.filter(scope.q("area_path"))
        .select_related("household", "household__grid")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name", "code")))
    )


def resident_get(*, user, pk, capability: str = Capability.VIEW_PEOPLE) -> Resident:
    return get_object_or_404(residents_for_user(user=user, capability=capability), pk=pk)


def household_search(qs: QuerySet[Household], q: str) -> QuerySet[Household]:
    q = (q or "").strip()
    if not q:
        return qs
    return qs.filter(Q(number__startswith=q) | Q(address__contains=q) | Q(head__name__startswith=q))


def resident_search(qs: QuerySet[Resident], q: str) -> QuerySet[Resident]:
    from .crypto_lookup import id_hash_or_none

    q = (q or "").strip()
    if not q:
        return qs
    h = id_hash_or_none(q)
    if h:
        return qs.filter(id_number_hash=h)
    return qs.filter(
        Q(name__startswith=q) | Q(phone__startswith=q) | Q(household__number__startswith=q)
    )


def tags_all() -> QuerySet[Tag]:
    return Tag.objects.all()
