"""REST API of the point ledger 积分明细 (read, manual and reversing entries — never edit or
delete), the point rules 积分规则 and the assessments 考核, under /api/points/…"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from wangge.accounts.choices import Capability
from wangge.core.api import ReadOnlyScopedViewSet, ScopedViewSet, ServiceCreateMixin

from . import selectors, services
from .choices import EVENT_CHOICES, CapPeriod, SubjectKind, Trigger
from .filters import AssessmentFilter, EntryFilter
from .models import Assessment, PointEntry, PointRule


class EntrySerializer(serializers.ModelSerializer):
    rule_code = serializers.CharField(source="rule.code", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    reverses = serializers.IntegerField(source="reverses_id", read_only=True, allow_null=True)

    class Meta:
        model = PointEntry
        fields = [
            "id",
            "rule",
            "rule_code",
            "rule_name",
            "subject_kind",
            "subject_id",
            "subject_name",
            "day",
            "event_day",
            "year",
            "quarter",
            "month",
            "points",
            "source_type",
            "source_id",
            "reverses",
            "reason",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class ManualEntryInput(serializers.Serializer):
    rule = serializers.SlugRelatedField(
        slug_field="code",
        queryset=PointRule.objects.filter(trigger=Trigger.MANUAL, is_active=True),
    )
    subject_id = serializers.IntegerField(min_value=1, max_value=2**62)
    reason = serializers.CharField(max_length=300)
    day = serializers.DateField(required=False, allow_null=True)


class PointsReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class EntryViewSet(
    ServiceCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet
):
    """The point ledger in the user's scope (and the user's own entries). Entries are never
    changed or deleted: POST writes a manual entry, POST …/reverse/ a reversing entry."""

    serializer_class = EntrySerializer
    create_serializer_class = ManualEntryInput
    filterset_class = EntryFilter
    write_capability = Capability.MANAGE_POINTS
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.entries_for_user(user=self.request.user).order_by("-day", "-id")

    def perform_service_create(self, data):
        return services.entry_create_manual(actor=self.request.user, **data)

    @extend_schema(request=PointsReasonInput, responses=EntrySerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        entry = self.get_object()
        ser = PointsReasonInput(data=request.data)
        ser.is_valid(raise_exception=True)
        reversal = services.entry_reverse(
            actor=request.user, entry=entry, reason=ser.validated_data["reason"]
        )
        return Response(EntrySerializer(reversal).data, status=201)


class RuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PointRule
        fields = [
            "id",
            "code",
            "name",
            "subject_kind",
            "points",
            "trigger",
            "event",
            "cap_period",
            "cap",
            "is_active",
            "description",
        ]
        read_only_fields = fields


class RuleInput(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=100)
    subject_kind = serializers.ChoiceField(choices=SubjectKind.choices)
    points = serializers.DecimalField(
        max_digits=6, decimal_places=1, min_value=-1000, max_value=1000
    )
    trigger = serializers.ChoiceField(choices=Trigger.choices)
    event = serializers.ChoiceField(choices=EVENT_CHOICES, required=False, allow_blank=True)
    cap_period = serializers.ChoiceField(
        choices=CapPeriod.choices, required=False, allow_blank=True
    )
    cap = serializers.DecimalField(
        max_digits=7,
        decimal_places=1,
        min_value=0,
        max_value=99999,
        required=False,
        allow_null=True,
    )
    is_active = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)


class RuleUpdateInput(RuleInput):
    code = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.required = False


class RuleViewSet(
    ServiceCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet
):
    """The point rules (the same for the whole county). Changed by the county only; a change
    applies to new entries."""

    serializer_class = RuleSerializer
    create_serializer_class = RuleInput
    update_serializer_class = RuleUpdateInput
    # The services check that the writer holds MANAGE_POINTS on the county.
    write_capability = None
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["trigger", "subject_kind", "is_active"]

    def get_queryset(self):
        return selectors.rules_visible()

    def perform_service_create(self, data):
        return services.rule_create(actor=self.request.user, **data)

    def partial_update(self, request, *args, **kwargs):
        rule = self.get_object()
        ser = RuleUpdateInput(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        rule = services.rule_update(actor=request.user, rule=rule, **ser.validated_data)
        return Response(RuleSerializer(rule).data)


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assessment
        fields = [
            "id",
            "period_kind",
            "start",
            "end",
            "subject_kind",
            "subject_id",
            "subject_name",
            "base",
            "points",
            "bundled",
            "score",
            "entry_count",
            "bundle_detail",
            "below_threshold",
            "state",
            "computed_at",
        ]
        read_only_fields = fields


class AssessmentViewSet(ReadOnlyScopedViewSet):
    """Assessments 考核 in the user's scope (and the user's own); …/entries/ is the breakdown."""

    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter

    def get_queryset(self):
        return selectors.assessments_for_user(user=self.request.user).order_by(
            "-start", "period_kind", "-score", "id"
        )

    @extend_schema(responses=EntrySerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None)
    def entries(self, request, pk=None):
        a = self.get_object()
        page = self.paginate_queryset(selectors.assessment_entries(a))
        return self.get_paginated_response(EntrySerializer(page, many=True).data)


def register(router) -> None:
    router.register("points/entries", EntryViewSet, basename="points-entry")
    router.register("points/rules", RuleViewSet, basename="points-rule")
    router.register("points/assessments", AssessmentViewSet, basename="points-assessment")
