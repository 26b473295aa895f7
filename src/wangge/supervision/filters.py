import django_filters
from django.utils.translation import gettext_lazy as _

from wangge.areas.models import Area

from .choices import BulletinState, ProblemState


class _AreaSubtreeFilter(django_filters.NumberFilter):
    """An area id: everything in its subtree (an unknown id matches nothing)."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        path = Area.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(area_path__startswith=path)


class InspectionFilter(django_filters.FilterSet):
    area = _AreaSubtreeFilter(label=_("area"))
    inspected_from = django_filters.DateFilter(
        field_name="inspected_on", lookup_expr="gte", label=_("from")
    )
    inspected_to = django_filters.DateFilter(
        field_name="inspected_on", lookup_expr="lte", label=_("to")
    )


class ProblemFilter(django_filters.FilterSet):
    area = _AreaSubtreeFilter(label=_("area"))
    state = django_filters.ChoiceFilter(choices=ProblemState.choices, label=_("state"))
    is_overdue = django_filters.BooleanFilter(label=_("overdue"))
    responsible = django_filters.NumberFilter(field_name="responsible_id", label=_("responsible"))


class BulletinFilter(django_filters.FilterSet):
    # A plain string: an enum named "kind" would collide with other apps' in the schema.
    kind = django_filters.CharFilter(
        field_name="kind", label=_("kind"), help_text="biweekly or quarterly"
    )
    state = django_filters.ChoiceFilter(choices=BulletinState.choices, label=_("state"))
