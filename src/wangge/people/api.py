"""REST API of households 户, residents 居民 and tags 标签.

ID numbers go in but never come out: answers carry `id_number_masked` only. The full number
is returned by `POST /api/residents/{id}/reveal-id/` to users allowed to see it, and every
such reveal is written to the audit log.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from wangge.accounts.choices import Capability
from wangge.areas.models import Area
from wangge.areas.selectors import areas_for_user
from wangge.core.api import ErrorSerializer, ScopedModelViewSet, ScopedPrimaryKeyRelatedField

from . import services
from .choices import ETHNICITIES, Relation, TagTarget
from .filters import HouseholdFilter, ResidentFilter
from .models import Household, Resident, Tag
from .selectors import households_for_user, residents_for_user, tags_all

_LAT = {"min_value": -90.0, "max_value": 90.0}
_LNG = {"min_value": -180.0, "max_value": 180.0}


def _tag_field(**kwargs):
    if not kwargs.get("read_only"):
        kwargs["queryset"] = Tag.objects.all()
    return serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        help_text=gettext_lazy("Tag codes (see /api/tags/)."),
        **kwargs,
    )


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "code", "name", "target", "is_key"]
        read_only_fields = fields


class ResidentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Resident
        fields = ["id", "name"]
        read_only_fields = fields


class HouseholdSerializer(serializers.ModelSerializer):
    """A household 户 as lists and details show it."""

    area_name = serializers.CharField(source="area.name", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    head = ResidentRefSerializer(read_only=True, allow_null=True)
    tags = _tag_field(read_only=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "number",
            "area",
            "area_name",
            "grid",
            "grid_name",
            "address",
            "phone",
            "head",
            "member_count",
            "tags",
            "lat",
            "lng",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class HouseholdCreateSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=32)
    area = ScopedPrimaryKeyRelatedField(
        selector=areas_for_user,
        model=Area,
        help_text=gettext_lazy("The grid or micro-grid the household lives in."),
    )
    address = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    tags = _tag_field(required=False)
    lat = serializers.FloatField(required=False, allow_null=True, **_LAT)
    lng = serializers.FloatField(required=False, allow_null=True, **_LNG)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class HouseholdUpdateSerializer(serializers.Serializer):
    area = ScopedPrimaryKeyRelatedField(selector=areas_for_user, model=Area, required=False)
    address = serializers.CharField(max_length=200, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    tags = _tag_field(required=False)
    lat = serializers.FloatField(required=False, allow_null=True, **_LAT)
    lng = serializers.FloatField(required=False, allow_null=True, **_LNG)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)


_errors = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


@extend_schema_view(
    create=extend_schema(
        request=HouseholdCreateSerializer, responses={201: HouseholdSerializer, **_errors}
    ),
    partial_update=extend_schema(
        request=HouseholdUpdateSerializer, responses={200: HouseholdSerializer, **_errors}
    ),
)
class HouseholdViewSet(ScopedModelViewSet):
    """Households 户 in your scope (view_people); writes need edit_people over their grid."""

    serializer_class = HouseholdSerializer
    create_serializer_class = HouseholdCreateSerializer
    update_serializer_class = HouseholdUpdateSerializer
    filterset_class = HouseholdFilter
    write_capability = Capability.EDIT_PEOPLE

    def get_queryset(self):
        return households_for_user(user=self.request.user)

    def perform_service_create(self, data):
        return services.household_create(actor=self.request.user, **data)

    def perform_service_update(self, instance, data):
        return services.household_update(actor=self.request.user, household=instance, **data)


class ResidentSerializer(serializers.ModelSerializer):
    """A resident 居民. The ID number is only ever shown masked."""

    household_number = serializers.CharField(source="household.number", read_only=True)
    tags = _tag_field(read_only=True)

    class Meta:
        model = Resident
        fields = [
            "id",
            "household",
            "household_number",
            "name",
            "id_number_masked",
            "phone",
            "birth_date",
            "gender",
            "ethnicity",
            "relation",
            "is_away",
            "is_party_member",
            "is_deceased",
            "tags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class _ResidentInput(serializers.Serializer):
    id_number = serializers.CharField(
        max_length=32,
        write_only=True,
        help_text=gettext_lazy("18-character resident ID number; stored encrypted."),
    )
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    ethnicity = serializers.ChoiceField(choices=ETHNICITIES, required=False)
    relation = serializers.ChoiceField(choices=Relation.choices, required=False)
    is_away = serializers.BooleanField(required=False)
    is_party_member = serializers.BooleanField(required=False)
    tags = _tag_field(required=False)


class ResidentCreateSerializer(_ResidentInput):
    household = ScopedPrimaryKeyRelatedField(selector=households_for_user, model=Household)


class ResidentUpdateSerializer(_ResidentInput):
    id_number = serializers.CharField(
        max_length=32,
        write_only=True,
        required=False,
        help_text=gettext_lazy("A corrected ID number; stored encrypted."),
    )
    name = serializers.CharField(max_length=50, required=False)
    is_deceased = serializers.BooleanField(required=False)


class RevealRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Why you need the full number (kept in the audit log)."),
    )


class RevealSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    id_number = serializers.CharField()


@extend_schema_view(
    create=extend_schema(
        request=ResidentCreateSerializer, responses={201: ResidentSerializer, **_errors}
    ),
    partial_update=extend_schema(
        request=ResidentUpdateSerializer, responses={200: ResidentSerializer, **_errors}
    ),
)
class ResidentViewSet(ScopedModelViewSet):
    """Residents 居民 in your scope (view_people); writes need edit_people."""

    serializer_class = ResidentSerializer
    create_serializer_class = ResidentCreateSerializer
    update_serializer_class = ResidentUpdateSerializer
    filterset_class = ResidentFilter

    def get_queryset(self):
        return residents_for_user(user=self.request.user)

    def get_write_capability(self, action_name):
        if action_name == "reveal_id":
            return Capability.REVEAL_ID
        return Capability.EDIT_PEOPLE

    def perform_service_create(self, data):
        return services.resident_create(actor=self.request.user, **data)

    def perform_service_update(self, instance, data):
        return services.resident_update(actor=self.request.user, resident=instance, **data)

    @extend_schema(
        summary="Reveal the full ID number (audited)",
        request=RevealRequestSerializer,
        responses={200: RevealSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="reveal-id")
    def reveal_id(self, request, pk=None):
        resident = self.get_object()
        data = RevealRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        number = services.resident_reveal_id(
            actor=request.user, resident=resident, reason=data.validated_data["reason"]
        )
        response = Response({"id": resident.pk, "id_number": number})
        response["Cache-Control"] = "no-store"
        return response


class TagFilter(django_filters.FilterSet):
    target = django_filters.ChoiceFilter(choices=TagTarget.choices)
    is_key = django_filters.BooleanFilter()

    class Meta:
        model = Tag
        fields = ["target", "is_key"]


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    """Tags 标签 for households and residents (困难户, 低保, 留守老人…)."""

    serializer_class = TagSerializer
    filterset_class = TagFilter

    def get_queryset(self):
        return tags_all().order_by("id")


def register(router) -> None:
    router.register("households", HouseholdViewSet, basename="household")
    router.register("residents", ResidentViewSet, basename="resident")
    router.register("tags", TagViewSet, basename="tag")
