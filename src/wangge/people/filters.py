import django_filters
from django.utils.translation import gettext_lazy as _

from wangge.areas.models import Area
from wangge.core.filters import IdFilter

from .choices import Gender, Relation
from .models import Household, Resident, Tag
from .selectors import household_search, resident_search


class _AreaSubtreeFilter(IdFilter):
    """Filter by an area id: everything in that area's subtree (an unknown id matches nothing)."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        path = Area.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(area_path__startswith=path)


class HouseholdFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("search"))
    area = _AreaSubtreeFilter(label=_("area"))
    grid = IdFilter(field_name="grid_id", label=_("grid"))
    tag = django_filters.ModelChoiceFilter(
        field_name="tags", queryset=Tag.objects.all(), to_field_name="code", label=_("tag")
    )
    number = django_filters.CharFilter(field_name="number")

    class Meta:
        model = Household
        fields = ["q", "area", "grid", "tag", "number"]

    def filter_q(self, queryset, name, value):
        return household_search(queryset, value)


class ResidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("search"))
    area = _AreaSubtreeFilter(label=_("area"))
    household = IdFilter(field_name="household_id", label=_("household"))
    tag = django_filters.ModelChoiceFilter(
        field_name="tags", queryset=Tag.objects.all(), to_field_name="code", label=_("tag")
    )
    gender = django_filters.ChoiceFilter(choices=Gender.choices)
    relation = django_filters.ChoiceFilter(choices=Relation.choices)
    is_away = django_filters.BooleanFilter()
    is_party_member = django_filters.BooleanFilter()

    class Meta:
        model = Resident
        fields = [
            "q",
            "area",
            "household",
            "tag",
            "gender",
            "relation",
            "is_away",
            "is_party_member",
        ]

    def filter_q(self, queryset, name, value):
        return resident_search(queryset, value)
