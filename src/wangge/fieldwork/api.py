"""REST API of fieldwork for the phone: patrols (start, stop, route points, findings), visits,
the daily report and pledges. Reads through the fieldwork selectors (a worker sees their own,
an officer their subtree; anything else 404), writes through the services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from wangge.areas.models import Area
from wangge.core.api import ReadOnlyScopedViewSet, ScopedModelViewSet, ScopedPrimaryKeyRelatedField
from wangge.people.models import Household

from . import selectors, services
from .choices import VisitKind
from .models import DailyReport, Patrol, PledgeCampaign, Visit

# -- patrols -----------------------------------------------------------------------------------


class PatrolSerializer(serializers.ModelSerializer):
    worker_name = serializers.CharField(source="worker.__str__", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    duration_minutes = serializers.IntegerField(read_only=True, allow_null=True)
    findings = serializers.SerializerMethodField()

    class Meta:
        model = Patrol
        fields = [
            "id",
            "worker",
            "worker_name",
            "area",
            "area_name",
            "started_at",
            "ended_at",
            "duration_minutes",
            "distance_m",
            "point_count",
            "note",
            "findings",
        ]
        read_only_fields = fields

    def get_findings(self, obj) -> list[int]:
        return [f.case_id for f in obj.findings.all()]


def _patrol_areas(*, user):
    posts = services.patrol_posts(user) if user is not None else []
    if not posts:
        return Area.objects.none()
    from django.db.models import Q

    q = Q(pk__in=[])
    for p in posts:
        q |= Q(path__startswith=p.area.path)
    return Area.objects.filter(q)


class PatrolStartInput(serializers.Serializer):
    area = ScopedPrimaryKeyRelatedField(
        selector=_patrol_areas,
        model=Area,
        required=False,
        allow_null=True,
        help_text="One of your grids; the first one when left out.",
    )


class PatrolStopInput(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PointInput(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    time = serializers.DateTimeField()
    accuracy = serializers.IntegerField(min_value=0, max_value=99_999, required=False)


class PointsInput(serializers.Serializer):
    points = serializers.ListField(
        child=PointInput(), min_length=1, max_length=services.MAX_POINTS_PER_BATCH
    )


class PointsResult(serializers.Serializer):
    points = serializers.IntegerField()
    distance_m = serializers.IntegerField()


class FindingInput(serializers.Serializer):
    description = serializers.CharField(max_length=4000)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    lng = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)

    def validate(self, attrs):
        if (attrs.get("lat") is None) != (attrs.get("lng") is None):
            raise serializers.ValidationError({"lat": "Give both the latitude and the longitude."})
        return attrs


class FindingResult(serializers.Serializer):
    case = serializers.IntegerField()
    number = serializers.CharField()
    tracking_code = serializers.CharField()


class PatrolViewSet(ReadOnlyScopedViewSet):
    """Patrols 巡查: a worker's own, or those of an officer's subtree. Start, stop, upload
    route points in batches and report findings as cases from the phone."""

    serializer_class = PatrolSerializer

    def get_queryset(self):
        return (
            selectors.patrols_for_user(user=self.request.user)
            .prefetch_related("findings")
            .order_by("-started_at", "-id")
        )

    @extend_schema(request=PatrolStartInput, responses={201: PatrolSerializer})
    @action(detail=False, methods=["post"])
    def start(self, request):
        ser = PatrolStartInput(data=request.data, context=self.get_serializer_context())
        ser.is_valid(raise_exception=True)
        patrol = services.patrol_start(actor=request.user, area=ser.validated_data.get("area"))
        return Response(PatrolSerializer(self.reload(patrol)).data, status=201)

    @extend_schema(request=PatrolStopInput, responses=PatrolSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        ser = PatrolStopInput(data=request.data)
        ser.is_valid(raise_exception=True)
        patrol = services.patrol_stop(
            actor=request.user, patrol=self.get_object(), note=ser.validated_data["note"]
        )
        return Response(PatrolSerializer(self.reload(patrol)).data)

    @extend_schema(request=PointsInput, responses=PointsResult)
    @action(detail=True, methods=["post"])
    def points(self, request, pk=None):
        ser = PointsInput(data=request.data)
        ser.is_valid(raise_exception=True)
        patrol = services.patrol_add_points(
            actor=request.user, patrol=self.get_object(), points=ser.validated_data["points"]
        )
        return Response({"points": patrol.point_count, "distance_m": patrol.distance_m})

    @extend_schema(request=FindingInput, responses={201: FindingResult})
    @action(detail=True, methods=["post"])
    def findings(self, request, pk=None):
        ser = FindingInput(data=request.data)
        ser.is_valid(raise_exception=True)
        case = services.patrol_report_finding(
            actor=request.user, patrol=self.get_object(), **ser.validated_data
        )
        return Response(
            {"case": case.pk, "number": case.number, "tracking_code": case.tracking_code},
            status=201,
        )


KIND_HELP = "Kind of visit: acquaint 认亲, call_on 访亲 or help 帮亲."

# -- visits ------------------------------------------------------------------------------------


class VisitSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True)
    visitor_name = serializers.CharField(source="visitor.__str__", read_only=True)
    needs = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    kind = serializers.CharField(read_only=True, help_text=KIND_HELP)

    class Meta:
        model = Visit
        fields = [
            "id",
            "visitor",
            "visitor_name",
            "member",
            "household",
            "household_number",
            "kind",
            "visited_at",
            "notes",
            "plan_note",
            "as_contact",
            "needs",
        ]
        read_only_fields = fields


class VisitCreateSerializer(serializers.Serializer):
    household = ScopedPrimaryKeyRelatedField(
        selector=selectors.households_for_visit, model=Household
    )
    # A plain string (checked below) rather than an enum: the schema already has "kind"
    # enums of other apps, and VisitKind has no ENUM_NAME_OVERRIDES entry of its own.
    kind = serializers.CharField(max_length=16, help_text=KIND_HELP)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    needs = serializers.ListField(
        child=serializers.CharField(max_length=500),
        required=False,
        max_length=services.MAX_NEEDS_PER_VISIT,
        default=list,
        help_text="Each need goes to the party needs list 需求清单.",
    )
    plan_situation = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )
    plan_needs = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )
    plan_measures = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )
    visited_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")

    def validate_kind(self, value):
        if value not in VisitKind.values:
            raise serializers.ValidationError(f"Choose one of: {', '.join(VisitKind.values)}.")
        return value


class VisitViewSet(ScopedModelViewSet):
    """Visits 走访 to households: 认亲, 访亲, 帮亲."""

    http_method_names = ["get", "post", "head", "options"]
    serializer_class = VisitSerializer
    create_serializer_class = VisitCreateSerializer

    def get_queryset(self):
        return (
            selectors.visits_for_user(user=self.request.user)
            .prefetch_related("needs")
            .order_by("-visited_at", "-id")
        )

    def perform_service_create(self, data):
        data = dict(data)
        at = data.pop("visited_at", None)
        return services.visit_record(actor=self.request.user, at=at, **data)


# -- daily reports -----------------------------------------------------------------------------


class DailyReportSerializer(serializers.ModelSerializer):
    worker_name = serializers.CharField(source="worker.__str__", read_only=True)

    class Meta:
        model = DailyReport
        fields = [
            "id",
            "worker",
            "worker_name",
            "day",
            "area",
            "status",
            "patrols",
            "patrol_minutes",
            "distance_m",
            "visits",
            "visits_by_kind",
            "visit_kinds",
            "cases_reported",
            "cases_handled",
            "extra_tasks",
            "tasks",
            "hours",
            "notes",
            "submitted_at",
            "closed_at",
            "is_workday",
            "on_leave",
            "required",
            "compliant",
            "missing",
            "norm",
        ]
        read_only_fields = fields


class ReportInput(serializers.Serializer):
    day = serializers.DateField()
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    extra_tasks = serializers.IntegerField(min_value=0, max_value=20, required=False)
    submit = serializers.BooleanField(default=False, help_text="Hand the report in.")


class DailyReportViewSet(ReadOnlyScopedViewSet):
    """Daily reports 日报告: drafted from the day's records; the worker saves notes and
    submits; the daily close finalises them with the compliance against the norm."""

    serializer_class = DailyReportSerializer

    def get_queryset(self):
        return selectors.reports_for_user(user=self.request.user).order_by("-day", "worker_id")

    @extend_schema(request=ReportInput, responses=DailyReportSerializer)
    @action(detail=False, methods=["post"], url_path="save")
    def save_report(self, request):
        ser = ReportInput(data=request.data)
        ser.is_valid(raise_exception=True)
        report = services.report_save(actor=request.user, **ser.validated_data)
        return Response(DailyReportSerializer(self.reload(report)).data)


# -- pledges -----------------------------------------------------------------------------------


class CampaignSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = PledgeCampaign
        fields = ["id", "area", "area_name", "title", "text", "deadline", "created_at"]
        read_only_fields = fields


class SignInput(serializers.Serializer):
    signed_name = serializers.CharField(max_length=50)


class SignResult(serializers.Serializer):
    campaign = serializers.IntegerField()
    signed_name = serializers.CharField()
    signed_at = serializers.DateTimeField()


class CampaignViewSet(ReadOnlyScopedViewSet):
    """Pledge campaigns 责任承诺书 covering the user's areas; workers sign by typing their name."""

    serializer_class = CampaignSerializer

    def get_queryset(self):
        return selectors.campaigns_for_user(user=self.request.user).order_by("-deadline", "-id")

    @extend_schema(request=SignInput, responses={201: SignResult})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        ser = SignInput(data=request.data)
        ser.is_valid(raise_exception=True)
        pledge = services.pledge_sign(
            actor=request.user,
            campaign=self.get_object(),
            signed_name=ser.validated_data["signed_name"],
        )
        return Response(
            {
                "campaign": pledge.campaign_id,
                "signed_name": pledge.signed_name,
                "signed_at": pledge.signed_at,
            },
            status=201,
        )


def register(router) -> None:
    router.register("fieldwork/patrols", PatrolViewSet, basename="fieldwork-patrol")
    router.register("fieldwork/visits", VisitViewSet, basename="fieldwork-visit")
    router.register("fieldwork/reports", DailyReportViewSet, basename="fieldwork-report")
    router.register("fieldwork/pledges", CampaignViewSet, basename="fieldwork-pledge")
