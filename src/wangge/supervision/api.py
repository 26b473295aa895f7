"""REST API of supervision under /api/supervision/: scope-filtered reads of inspections,
problems and bulletins; writes through the services (a refused transition answers 409 with a
stable code, an object outside the scope 404)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from wangge.accounts.models import User
from wangge.areas.models import Area

from . import selectors, services
from .choices import Check
from .filters import BulletinFilter, InspectionFilter, ProblemFilter
from .models import Bulletin, Inspection, Problem, ProblemEvent

MAX_ID = 2**31 - 1


def _id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- serializers -----------------------------------------------------------------------------


class InspectionSerializer(serializers.ModelSerializer):
    area_code = serializers.CharField(source="area.code", read_only=True)
    inspector_name = serializers.CharField(source="inspector.__str__", read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "item",
            "area",
            "area_code",
            "inspector",
            "inspector_name",
            "inspected_on",
            "checks",
            "staff_expected",
            "staff_present",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class InspectionCreateSerializer(serializers.Serializer):
    area = _id()
    item = _id(required=False, allow_null=True, default=None)
    inspected_on = serializers.DateField()
    checks = serializers.ListField(
        child=serializers.ChoiceField(Check.choices), allow_empty=False, max_length=len(Check)
    )
    staff_expected = serializers.IntegerField(
        min_value=0, max_value=10000, required=False, allow_null=True, default=None
    )
    staff_present = serializers.IntegerField(
        min_value=0, max_value=10000, required=False, allow_null=True, default=None
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)


class ProblemEventSerializer(serializers.ModelSerializer):
    verb = serializers.CharField(read_only=True)
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = ProblemEvent
        fields = ["verb", "from_state", "to_state", "note", "actor", "actor_name", "at", "data"]
        read_only_fields = fields

    def get_actor_name(self, obj) -> str:
        return str(obj.actor) if obj.actor_id else ""


class ProblemSerializer(serializers.ModelSerializer):
    state = serializers.CharField(
        read_only=True, help_text="open, rectified, verified or crossed_off"
    )
    area_code = serializers.CharField(source="area.code", read_only=True)
    responsible_name = serializers.CharField(source="responsible.__str__", read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "inspection",
            "area",
            "area_code",
            "description",
            "responsible",
            "responsible_name",
            "deadline",
            "state",
            "is_overdue",
            "escalated_to",
            "rectification",
            "rectified_at",
            "verified_at",
            "crossed_off_at",
            "case_id",
            "case_number",
            "created_at",
        ]
        read_only_fields = fields


class ProblemDetailSerializer(ProblemSerializer):
    timeline = ProblemEventSerializer(source="events", many=True, read_only=True)

    class Meta(ProblemSerializer.Meta):
        fields = [*ProblemSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


class ProblemCreateSerializer(serializers.Serializer):
    inspection = _id(required=False, allow_null=True, default=None)
    area = _id(required=False, allow_null=True, default=None)
    description = serializers.CharField(max_length=4000)
    responsible = _id()
    deadline = serializers.DateField()

    def validate(self, attrs):
        if attrs.get("inspection") is None and attrs.get("area") is None:
            raise serializers.ValidationError({"area": "Give an area or an inspection."})
        return attrs


class ProblemRectifySerializer(serializers.Serializer):
    rectification = serializers.CharField(max_length=4000)


class ProblemNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ProblemReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)


class ProblemFollowUpSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000)
    remind = serializers.BooleanField(required=False, default=False)
    deadline = serializers.DateField(required=False, allow_null=True, default=None)


class ProblemToCaseSerializer(serializers.Serializer):
    grid = _id(required=False, allow_null=True, default=None)


class BulletinSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="biweekly or quarterly")
    state = serializers.CharField(read_only=True, help_text="draft, reviewed or published")
    area_code = serializers.CharField(source="area.code", read_only=True)

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "kind",
            "area",
            "area_code",
            "start",
            "end",
            "number",
            "title",
            "state",
            "generated_at",
            "reviewed_at",
            "published_at",
        ]
        read_only_fields = fields


class BulletinDetailSerializer(BulletinSerializer):
    class Meta(BulletinSerializer.Meta):
        fields = [*BulletinSerializer.Meta.fields, "remarks", "content"]
        read_only_fields = fields


def _valid(serializer_class, request) -> dict:
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


# --- viewsets --------------------------------------------------------------------------------


class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Inspections 督导检查 in the caller's supervision scope."""

    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter

    def get_queryset(self):
        return selectors.inspections_for_user(user=self.request.user).order_by(
            "-inspected_on", "-id"
        )

    @extend_schema(request=InspectionCreateSerializer, responses={201: InspectionSerializer})
    def create(self, request):
        data = _valid(InspectionCreateSerializer, request)
        data["area"] = selectors.area_get(user=request.user, pk=data["area"])
        if data["item"] is not None:
            data["item"] = selectors.item_get(user=request.user, pk=data["item"])
        inspection = services.inspection_record(actor=request.user, **data)
        return Response(InspectionSerializer(inspection).data, status=201)


class ProblemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The problem list 问题清单: the caller's supervision scope and the problems the caller is
    responsible for. Transitions: rectify (the responsible person), verify, reject, cross-off,
    follow-up, to-case (supervisors)."""

    serializer_class = ProblemSerializer
    filterset_class = ProblemFilter

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ProblemDetailSerializer
        return ProblemSerializer

    def get_queryset(self):
        qs = selectors.problems_for_user(user=self.request.user).order_by(
            "-is_overdue", "deadline", "-id"
        )
        if self.action == "retrieve":
            qs = qs.prefetch_related("events__actor")
        return qs

    def _get(self):
        return selectors.problem_get(user=self.request.user, pk=self.kwargs["pk"])

    def _out(self, problem, status=200):
        problem = (
            selectors.problems_for_user(user=self.request.user)
            .prefetch_related("events__actor")
            .filter(pk=problem.pk)
            .first()
            or problem
        )
        return Response(ProblemDetailSerializer(problem).data, status=status)

    @extend_schema(request=ProblemCreateSerializer, responses={201: ProblemDetailSerializer})
    def create(self, request):
        data = _valid(ProblemCreateSerializer, request)
        if data["inspection"] is not None:
            data["inspection"] = selectors.inspection_get(user=request.user, pk=data["inspection"])
        if data["area"] is not None:
            data["area"] = selectors.area_get(user=request.user, pk=data["area"])
        data["responsible"] = get_object_or_404(User, pk=data["responsible"], is_active=True)
        problem = services.problem_create(actor=request.user, **data)
        return self._out(problem, 201)

    @extend_schema(request=ProblemRectifySerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        return self._out(
            services.problem_rectify(
                actor=request.user, problem=self._get(), **_valid(ProblemRectifySerializer, request)
            )
        )

    @extend_schema(request=ProblemNoteSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._out(
            services.problem_verify(
                actor=request.user, problem=self._get(), **_valid(ProblemNoteSerializer, request)
            )
        )

    @extend_schema(request=ProblemReasonSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._out(
            services.problem_reject(
                actor=request.user, problem=self._get(), **_valid(ProblemReasonSerializer, request)
            )
        )

    @extend_schema(request=ProblemNoteSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="cross-off")
    def cross_off(self, request, pk=None):
        return self._out(
            services.problem_cross_off(
                actor=request.user, problem=self._get(), **_valid(ProblemNoteSerializer, request)
            )
        )

    @extend_schema(request=ProblemFollowUpSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        return self._out(
            services.problem_follow_up(
                actor=request.user,
                problem=self._get(),
                **_valid(ProblemFollowUpSerializer, request),
            )
        )

    @extend_schema(request=ProblemToCaseSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="to-case")
    def to_case(self, request, pk=None):
        problem = self._get()
        grid_id = _valid(ProblemToCaseSerializer, request)["grid"]
        grid = None
        if grid_id is not None:
            grid = get_object_or_404(Area, pk=grid_id, path__startswith=problem.area_path)
        return self._out(services.problem_to_case(actor=request.user, problem=problem, grid=grid))


class BulletinViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bulletins 通报: published ones of the caller's areas, drafts for supervisors."""

    serializer_class = BulletinSerializer
    filterset_class = BulletinFilter

    def get_serializer_class(self):
        if self.action == "retrieve":
            return BulletinDetailSerializer
        return BulletinSerializer

    def get_queryset(self):
        return selectors.bulletins_for_user(user=self.request.user).order_by("-end", "-id")


def register(router) -> None:
    router.register("supervision/inspections", InspectionViewSet, basename="supervision-inspection")
    router.register("supervision/problems", ProblemViewSet, basename="supervision-problem")
    router.register("supervision/bulletins", BulletinViewSet, basename="supervision-bulletin")
