import django_filters

from wangge.core.filters import IdFilter

from .choices import AreaKind, AreaLevel
from .models import Area


class AreaFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=AreaLevel.choices)
    kind = django_filters.ChoiceFilter(choices=AreaKind.choices)
    parent = IdFilter(field_name="parent_id")
    code = django_filters.CharFilter(field_name="code", lookup_expr="startswith")
    q = django_filters.CharFilter(method="filter_q", label="search")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Area
        fields = ["level", "kind", "parent", "code", "is_active"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(code__startswith=value)
        return queryset.filter(name__contains=value)
