import django_filters
from django.utils.translation import gettext_lazy as _

from wangge.areas.models import Area

from .choices import (
    Category,
    DecisionKind,
    DecisionStage,
    DisclosureStatus,
    FeedbackKind,
    IssueKind,
    IssueStatus,
)
from .models import Decision, Disclosure, Feedback, FocalIssue


class _AreaSubtreeFilter(django_filters.NumberFilter):
    """An area id: everything in its subtree (an unknown id matches nothing)."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        path = Area.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(area_path__startswith=path)


class DisclosureFilter(django_filters.FilterSet):
    area = _AreaSubtreeFilter(label=_("area"))
    status = django_filters.ChoiceFilter(choices=DisclosureStatus.choices, label=_("status"))
    category = django_filters.ChoiceFilter(
        field_name="item__category", choices=Category.choices, label=_("category")
    )
    item = django_filters.CharFilter(field_name="item__code", label=_("item"))
    period = django_filters.CharFilter(
        field_name="period", lookup_expr="startswith", label=_("period")
    )

    class Meta:
        model = Disclosure
        fields = ["area", "status", "category", "item", "period"]


class DecisionFilter(django_filters.FilterSet):
    area = _AreaSubtreeFilter(label=_("area"))
    kind = django_filters.ChoiceFilter(choices=DecisionKind.choices, label=_("kind"))
    stage = django_filters.ChoiceFilter(choices=DecisionStage.choices, label=_("stage"))

    class Meta:
        model = Decision
        fields = ["area", "kind", "stage"]


class FeedbackFilter(django_filters.FilterSet):
    area = _AreaSubtreeFilter(label=_("area"))
    kind = django_filters.ChoiceFilter(choices=FeedbackKind.choices, label=_("kind"))
    answered = django_filters.BooleanFilter(
        field_name="answered_at", lookup_expr="isnull", exclude=True, label=_("answered")
    )

    class Meta:
        model = Feedback
        fields = ["area", "kind", "answered"]


class IssueFilter(django_filters.FilterSet):
    area = _AreaSubtreeFilter(label=_("area"))
    kind = django_filters.ChoiceFilter(choices=IssueKind.choices, label=_("kind"))
    status = django_filters.ChoiceFilter(choices=IssueStatus.choices, label=_("status"))

    class Meta:
        model = FocalIssue
        fields = ["area", "kind", "status"]
