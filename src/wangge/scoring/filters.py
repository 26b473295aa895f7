import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import PeriodKind, SubjectKind
from .models import Assessment, PointEntry


class EntryFilter(django_filters.FilterSet):
    subject_kind = django_filters.ChoiceFilter(choices=SubjectKind.choices)
    subject_id = django_filters.NumberFilter(min_value=0, max_value=2**62)
    rule = django_filters.CharFilter(field_name="rule__code", max_length=40)
    start = django_filters.DateFilter(field_name="day", lookup_expr="gte", label=_("from"))
    end = django_filters.DateFilter(field_name="day", lookup_expr="lte", label=_("to"))

    class Meta:
        model = PointEntry
        fields = ["subject_kind", "subject_id", "rule", "start", "end"]


class AssessmentFilter(django_filters.FilterSet):
    period_kind = django_filters.ChoiceFilter(choices=PeriodKind.choices)
    start = django_filters.DateFilter()
    subject_kind = django_filters.ChoiceFilter(choices=SubjectKind.choices)
    subject_id = django_filters.NumberFilter(min_value=0, max_value=2**62)
    below_threshold = django_filters.BooleanFilter()

    class Meta:
        model = Assessment
        fields = ["period_kind", "start", "subject_kind", "subject_id", "below_threshold"]
