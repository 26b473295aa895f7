import django_filters
from django.utils.translation import gettext_lazy as _

from wangge.areas.models import Area

from .choices import GridLevel, MemberStatus, NeedStatus, OrgKind, RatingState
from .models import Contact, Need, PartyMember, PartyOrg, StarRating
from .selectors import members_filter_over_60


class _AreaSubtreeFilter(django_filters.NumberFilter):
    """Filter by an area id: rows whose `field_name` path lies in that area's subtree."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        path = Area.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(**{f"{self.field_name}__startswith": path})


class _OrgSubtreeFilter(django_filters.NumberFilter):
    """Filter by a party organisation id: rows in that organisation's subtree."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        path = PartyOrg.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(**{f"{self.field_name}__startswith": path})


class OrgFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrgKind.choices)
    parent = django_filters.NumberFilter(field_name="parent_id")
    area = _AreaSubtreeFilter(field_name="area_path", label=_("area"))
    within = _OrgSubtreeFilter(field_name="path", label=_("organisation subtree"))
    q = django_filters.CharFilter(field_name="name", lookup_expr="contains", label=_("search"))
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = PartyOrg
        fields = ["kind", "parent", "area", "within", "q", "is_active"]


class MemberFilter(django_filters.FilterSet):
    org = _OrgSubtreeFilter(field_name="org__path", label=_("organisation"))
    area = _AreaSubtreeFilter(field_name="area_path", label=_("area"))
    status = django_filters.ChoiceFilter(choices=MemberStatus.choices)
    grid_level = django_filters.ChoiceFilter(choices=GridLevel.choices)
    is_mobile = django_filters.BooleanFilter()
    is_in_service = django_filters.BooleanFilter()
    is_central_household = django_filters.BooleanFilter()
    is_active = django_filters.BooleanFilter()
    over_60 = django_filters.BooleanFilter(method="filter_over_60", label=_("over 60"))
    q = django_filters.CharFilter(method="filter_q", label=_("search"))

    class Meta:
        model = PartyMember
        fields = [
            "org",
            "area",
            "status",
            "grid_level",
            "is_mobile",
            "is_in_service",
            "is_central_household",
            "is_active",
        ]

    def filter_over_60(self, queryset, name, value):
        if value is None:
            return queryset
        return members_filter_over_60(queryset, value)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(name__startswith=value) | queryset.filter(phone__startswith=value)


class ContactFilter(django_filters.FilterSet):
    member = django_filters.NumberFilter(field_name="member_id")
    household = django_filters.NumberFilter(field_name="household_id")
    area = _AreaSubtreeFilter(field_name="household__area_path", label=_("area"))
    org = _OrgSubtreeFilter(field_name="member__org__path", label=_("organisation"))

    class Meta:
        model = Contact
        fields = ["member", "household", "area", "org"]


class StarRatingFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter()
    state = django_filters.ChoiceFilter(choices=RatingState.choices)
    branch = django_filters.NumberFilter(field_name="branch_id")
    member = django_filters.NumberFilter(field_name="member_id")

    class Meta:
        model = StarRating
        fields = ["year", "state", "branch", "member"]


class NeedFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=NeedStatus.choices)
    area = _AreaSubtreeFilter(field_name="area_path", label=_("area"))
    household = django_filters.NumberFilter(field_name="household_id")
    claimed_by = django_filters.NumberFilter(field_name="claimed_by_id")

    class Meta:
        model = Need
        fields = ["status", "area", "household", "claimed_by"]
