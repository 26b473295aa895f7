"""Filters of case lists (dispatch board and API): area subtree, state, category, level,
source, warning, overdue, handler."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.areas.models import Area

from .choices import OPEN_STATES, CaseState, Level, Source, Urgency, WarningLevel
from .models import Case


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    area = django_filters.NumberFilter(method="filter_area", label=_("Area (subtree)"))
    state = django_filters.CharFilter(
        method="filter_state", label=_("State (a state, “open”, or empty for all)")
    )
    category = django_filters.CharFilter(field_name="category__code", label=_("Category code"))
    level = django_filters.ChoiceFilter(choices=Level.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    warning = django_filters.ChoiceFilter(choices=WarningLevel.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue now"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Handled by me"))
    department = django_filters.NumberFilter(field_name="department_id")

    class Meta:
        model = Case
        fields = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(number=value) | Q(title__icontains=value))

    def filter_area(self, qs, name, value):
        path = Area.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(area_path__startswith=path)

    def filter_state(self, qs, name, value):
        if value == "open":
            return qs.filter(state__in=OPEN_STATES)
        if value in CaseState.values:
            return qs.filter(state=value)
        return qs

    def filter_overdue(self, qs, name, value):
        if value:
            return qs.filter(state__in=OPEN_STATES, resolve_by__lt=timezone.now())
        return qs

    def filter_mine(self, qs, name, value):
        user = getattr(self.request, "user", None)
        if value and user is not None:
            return qs.filter(handler=user)
        return qs
