"""REST API of the territory tree: /api/areas/ (scope-filtered), GeoJSON boundaries, point →
grid, and the restructuring writes for users who manage areas."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from wangge.accounts.choices import Capability
from wangge.core.api import (
    ErrorSerializer,
    JSONField,
    ScopedModelViewSet,
    ScopedPrimaryKeyRelatedField,
)
from wangge.core.errors import NotFound

from . import geo, services
from .choices import AreaKind
from .filters import AreaFilter
from .models import Area
from .selectors import areas_for_user

_LAT = {"min_value": -90.0, "max_value": 90.0}
_LNG = {"min_value": -180.0, "max_value": 180.0}


class CentroidSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lng = serializers.FloatField()


class AreaSerializer(serializers.ModelSerializer):
    """An area as lists show it: no boundary (see /boundary/), whether it has one."""

    centroid = serializers.SerializerMethodField()
    has_boundary = serializers.SerializerMethodField()
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Area
        fields = [
            "id",
            "name",
            "code",
            "level",
            "level_display",
            "kind",
            "parent",
            "depth",
            "ab_partner",
            "is_active",
            "centroid",
            "has_boundary",
        ]
        read_only_fields = fields

    @extend_schema_field(CentroidSerializer(allow_null=True))
    def get_centroid(self, obj) -> dict | None:
        if obj.centroid_lat is None or obj.centroid_lng is None:
            return None
        return {"lat": obj.centroid_lat, "lng": obj.centroid_lng}

    def get_has_boundary(self, obj) -> bool:
        annotated = getattr(obj, "has_boundary_db", None)
        return bool(annotated) if annotated is not None else obj.has_boundary


class _BoundaryMixin(serializers.Serializer):
    boundary = JSONField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy("A GeoJSON Polygon or MultiPolygon (or a Feature holding one)."),
    )
    centroid_lat = serializers.FloatField(required=False, allow_null=True, **_LAT)
    centroid_lng = serializers.FloatField(required=False, allow_null=True, **_LNG)

    def validate(self, attrs):
        has_lat = attrs.get("centroid_lat") is not None
        has_lng = attrs.get("centroid_lng") is not None
        if has_lat != has_lng:
            raise serializers.ValidationError(
                {"centroid_lat": [_("Give both the latitude and the longitude.")]}
            )
        return attrs


class AreaCreateSerializer(_BoundaryMixin):
    parent = ScopedPrimaryKeyRelatedField(
        selector=areas_for_user,
        model=Area,
        allow_null=True,
        help_text=gettext_lazy("The parent area; null only for a county."),
    )
    name = serializers.CharField(max_length=100)
    code = serializers.CharField(
        max_length=20,
        help_text=gettext_lazy(
            "12 digits (统计用区划代码) down to a village; a grid adds 3, a micro-grid 2."
        ),
    )
    kind = serializers.ChoiceField(choices=AreaKind.choices, default=AreaKind.ORDINARY)


class AreaUpdateSerializer(_BoundaryMixin):
    name = serializers.CharField(max_length=100, required=False)
    kind = serializers.ChoiceField(choices=AreaKind.choices, required=False)


class AreaMoveSerializer(serializers.Serializer):
    new_parent = ScopedPrimaryKeyRelatedField(selector=areas_for_user, model=Area)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AreaPartnerSerializer(serializers.Serializer):
    partner = ScopedPrimaryKeyRelatedField(
        selector=areas_for_user,
        model=Area,
        allow_null=True,
        help_text=gettext_lazy("The adjacent grid, or null to remove the AB partner."),
    )


class LocateQuerySerializer(serializers.Serializer):
    lat = serializers.FloatField(**_LAT)
    lng = serializers.FloatField(**_LNG)


class LocateSerializer(serializers.Serializer):
    grid = AreaSerializer()
    microgrid = AreaSerializer(allow_null=True)


class GeoJSONFeatureSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Feature"])
    id = serializers.IntegerField()
    geometry = serializers.JSONField(allow_null=True)
    properties = inline_serializer(
        "AreaFeatureProperties",
        fields={
            "name": serializers.CharField(),
            "code": serializers.CharField(),
            "level": serializers.CharField(),
            "kind": serializers.CharField(),
            "centroid": CentroidSerializer(allow_null=True),
        },
    )


_errors = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


@extend_schema_view(
    list=extend_schema(summary="Areas in your scope"),
    create=extend_schema(request=AreaCreateSerializer, responses={201: AreaSerializer, **_errors}),
    partial_update=extend_schema(
        request=AreaUpdateSerializer, responses={200: AreaSerializer, **_errors}
    ),
)
class AreaViewSet(ScopedModelViewSet):
    """The territory tree 区域 under your posts: county → town → village → grid → micro-grid."""

    serializer_class = AreaSerializer
    create_serializer_class = AreaCreateSerializer
    update_serializer_class = AreaUpdateSerializer
    filterset_class = AreaFilter
    write_capability = Capability.MANAGE_AREAS

    def get_queryset(self):
        return areas_for_user(user=self.request.user)

    def object_path(self, obj) -> str:
        return obj.path

    def get_write_capability(self, action_name):
        return self.write_capability

    def perform_service_create(self, data):
        return services.area_create(
            actor=self.request.user,
            parent=data["parent"],
            name=data["name"],
            code=data["code"],
            kind=data.get("kind", AreaKind.ORDINARY),
            boundary=data.get("boundary"),
            centroid_lat=data.get("centroid_lat"),
            centroid_lng=data.get("centroid_lng"),
        )

    def perform_service_update(self, instance, data):
        kwargs = {
            "name": data.get("name"),
            "kind": data.get("kind"),
            "centroid_lat": data.get("centroid_lat"),
            "centroid_lng": data.get("centroid_lng"),
        }
        if "boundary" in data:
            kwargs["boundary"] = data["boundary"]
        return services.area_update(actor=self.request.user, area=instance, **kwargs)

    @extend_schema(
        summary="Boundary of an area as a GeoJSON Feature",
        responses={(200, "application/geo+json"): GeoJSONFeatureSerializer, 404: ErrorSerializer},
    )
    @action(detail=True, methods=["get"])
    def boundary(self, request, pk=None):
        area = self.get_object()
        centroid = AreaSerializer().get_centroid(area)
        return Response(
            {
                "type": "Feature",
                "id": area.pk,
                "geometry": area.boundary or None,
                "properties": {
                    "name": area.name,
                    "code": area.code,
                    "level": area.level,
                    "kind": area.kind,
                    "centroid": centroid,
                },
            },
            content_type="application/geo+json",
        )

    @extend_schema(
        summary="Which grid (and micro-grid) a point lies in",
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True),
            OpenApiParameter("lng", OpenApiTypes.DOUBLE, required=True),
        ],
        responses={200: LocateSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        filters=False,
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def locate(self, request):
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        grid, micro = geo.locate_point(query.validated_data["lat"], query.validated_data["lng"])
        visible = self.get_queryset().in_bulk([a.pk for a in (grid, micro) if a is not None])
        if grid.pk not in visible:
            raise NotFound(_("The location is not in any grid of your area."), field="location")
        micro = visible.get(micro.pk) if micro is not None else None
        return Response(
            {
                "grid": AreaSerializer(visible[grid.pk]).data,
                "microgrid": (AreaSerializer(micro).data if micro is not None else None),
            }
        )

    @extend_schema(
        summary="Move an area (and its subtree) under another parent (区划调整)",
        request=AreaMoveSerializer,
        responses={200: AreaSerializer, **_errors},
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        area = self.get_object()
        data = self._input(AreaMoveSerializer)
        area = services.area_move(
            actor=request.user, area=area, new_parent=data["new_parent"], note=data["note"]
        )
        return Response(self.get_output_serializer(self.reload(area)).data)

    @extend_schema(
        summary="Set the AB partner of a grid (相邻网格互为AB角); both grids point at each other",
        request=AreaPartnerSerializer,
        responses={200: AreaSerializer, **_errors},
    )
    @action(detail=True, methods=["post"], url_path="ab-partner")
    def ab_partner(self, request, pk=None):
        grid = self.get_object()
        data = self._input(AreaPartnerSerializer)
        grid = services.area_set_ab_partners(actor=request.user, grid=grid, partner=data["partner"])
        return Response(self.get_output_serializer(self.reload(grid)).data)

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def register(router) -> None:
    router.register("areas", AreaViewSet, basename="area")
