"""REST API of village transparency under /api/disclosure/: scope-filtered reads, writes through
the services (a refused transition answers 409 with a stable code)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from . import selectors, services
from .choices import (
    Action,
    ContributionBasis,
    DecisionKind,
    DecisionStage,
    IssueKind,
    IssueSource,
    MajorityRule,
    ProjectKind,
    QuorumRule,
    VotingBody,
)
from .filters import DecisionFilter, DisclosureFilter, FeedbackFilter, IssueFilter
from .models import Decision, Disclosure, DisclosureItem, Feedback, FocalIssue, OneMatterPlan

# --- serializers -----------------------------------------------------------------------------


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = DisclosureItem
        fields = ["id", "code", "name", "category", "period_kind", "is_mandatory", "order"]
        read_only_fields = fields


class DisclosureSerializer(serializers.ModelSerializer):
    village_code = serializers.CharField(source="village.code", read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True)

    class Meta:
        model = Disclosure
        fields = [
            "id",
            "village",
            "village_code",
            "item",
            "item_code",
            "period",
            "title",
            "body",
            "table",
            "status",
            "return_reason",
            "submitted_at",
            "reviewed_at",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DisclosureCreateSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    item = serializers.SlugRelatedField(
        slug_field="code", queryset=DisclosureItem.objects.filter(is_active=True)
    )
    period = serializers.CharField(max_length=8)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="")
    table = serializers.JSONField(required=False, default=dict)


class DisclosureUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(required=False, allow_blank=True)
    table = serializers.JSONField(required=False)


class DisclosureReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class FileSerializer(serializers.Serializer):
    file = serializers.FileField()


class OneMatterPlanSerializer(serializers.ModelSerializer):
    raised = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = OneMatterPlan
        fields = [
            "project_kind",
            "budget",
            "other_funding",
            "basis",
            "contribution",
            "contribution_cap",
            "contributors",
            "raised",
            "labour_days",
            "labour_cap",
            "labourers",
            "exemptions",
            "voting_body",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer):
    steps = serializers.SerializerMethodField()
    plan = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "village",
            "kind",
            "title",
            "summary",
            "amount",
            "stage",
            "majority_rule",
            "quorum_rule",
            "representatives_total",
            "attendance",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "voted_on",
            "resolution",
            "resolution_published_at",
            "result",
            "result_published_at",
            "refusal_reason",
            "steps",
            "plan",
        ]
        read_only_fields = fields

    @extend_schema_field(OneMatterPlanSerializer(allow_null=True))
    def get_plan(self, obj) -> dict | None:
        plan = getattr(obj, "plan", None) if obj.kind == DecisionKind.ONE_MATTER else None
        return OneMatterPlanSerializer(plan).data if plan is not None else None

    def get_steps(self, obj) -> list[dict]:
        return [
            {"stage": s.stage, "held_on": s.held_on.isoformat(), "notes": s.notes}
            for s in obj.steps.all()
        ]


class DecisionCreateSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    kind = serializers.ChoiceField(DecisionKind.choices, default=DecisionKind.FOUR_DISCUSSIONS)
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )
    majority_rule = serializers.ChoiceField(MajorityRule.choices, required=False, default=None)
    quorum_rule = serializers.ChoiceField(QuorumRule.choices, required=False, default=None)
    held_on = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class OneMatterCreateSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    project_kind = serializers.ChoiceField(ProjectKind.choices)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    budget = serializers.DecimalField(max_digits=14, decimal_places=2)
    other_funding = serializers.DecimalField(max_digits=14, decimal_places=2, default=0)
    basis = serializers.ChoiceField(ContributionBasis.choices)
    contribution = serializers.DecimalField(max_digits=10, decimal_places=2)
    contribution_cap = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, default=None
    )
    contributors = serializers.IntegerField(min_value=0)
    labour_days = serializers.IntegerField(min_value=0, default=0)
    labour_cap = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, default=None
    )
    labourers = serializers.IntegerField(min_value=0, default=0)
    exemptions = serializers.CharField(required=False, allow_blank=True, default="")
    voting_body = serializers.ChoiceField(VotingBody.choices)
    majority_rule = serializers.ChoiceField(MajorityRule.choices, required=False, default=None)
    held_on = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class StageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(
        [
            DecisionStage.DISCUSSED,
            DecisionStage.REVIEWED,
            DecisionStage.ANNOUNCED,
            DecisionStage.TOWN_APPROVED,
        ]
    )
    held_on = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class VoteSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    representatives_total = serializers.IntegerField(min_value=0)
    attendance = serializers.IntegerField(min_value=0)
    votes_for = serializers.IntegerField(min_value=0)
    votes_against = serializers.IntegerField(min_value=0)
    votes_abstain = serializers.IntegerField(min_value=0, default=0)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class TownRefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    held_on = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class PublishSerializer(serializers.Serializer):
    text = serializers.CharField()
    held_on = serializers.DateField(required=False, default=None)


class FeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feedback
        fields = [
            "id",
            "village",
            "kind",
            "disclosure",
            "decision",
            "phone",
            "name",
            "body",
            "rating",
            "answer",
            "answered_at",
            "supervision_status",
            "case_id",
            "case_code",
            "created_at",
        ]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)


class IssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = FocalIssue
        fields = [
            "id",
            "village",
            "kind",
            "source",
            "raised_on",
            "raised_by",
            "question",
            "answer",
            "status",
            "responsible",
            "deadline",
            "rectification",
            "rectified_at",
            "crossed_off_at",
        ]
        read_only_fields = fields


class IssueCreateSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    kind = serializers.ChoiceField(IssueKind.choices)
    source = serializers.ChoiceField(IssueSource.choices, default=IssueSource.DIALOGUE)
    raised_on = serializers.DateField()
    raised_by = serializers.CharField(required=False, allow_blank=True, default="")
    question = serializers.CharField()
    answer = serializers.CharField(required=False, allow_blank=True, default="")
    responsible = serializers.CharField(required=False, allow_blank=True, default="")
    deadline = serializers.DateField(required=False, allow_null=True, default=None)


class RectifySerializer(serializers.Serializer):
    rectification = serializers.CharField()


def _valid(serializer_class, request) -> dict:
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


def _village(request, pk, action_):
    return selectors.village_get(user=request.user, pk=pk, action=action_)


# --- viewsets --------------------------------------------------------------------------------


class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    """The configurable list of items 公开事项 (24 mandatory by default)."""

    serializer_class = ItemSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.items_active()


class DisclosureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DisclosureSerializer
    filterset_class = DisclosureFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.disclosures_for_user(user=self.request.user).order_by("-updated_at", "-id")

    def _get(self, action_):
        return selectors.disclosure_get(
            user=self.request.user, pk=self.kwargs["pk"], action=action_
        )

    def _out(self, obj, status=200):
        return Response(DisclosureSerializer(obj).data, status=status)

    @extend_schema(request=DisclosureCreateSerializer, responses={201: DisclosureSerializer})
    def create(self, request):
        data = _valid(DisclosureCreateSerializer, request)
        data["village"] = _village(request, data["village"], Action.EDIT)
        return self._out(services.disclosure_create(actor=request.user, **data), 201)

    @extend_schema(request=DisclosureUpdateSerializer, responses=DisclosureSerializer)
    def partial_update(self, request, pk=None):
        d = self._get(Action.EDIT)
        return self._out(
            services.disclosure_update(
                actor=request.user, disclosure=d, **_valid(DisclosureUpdateSerializer, request)
            )
        )

    @extend_schema(request=None, responses=DisclosureSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._out(
            services.disclosure_submit(actor=request.user, disclosure=self._get(Action.EDIT))
        )

    @extend_schema(request=None, responses=DisclosureSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._out(
            services.disclosure_publish(actor=request.user, disclosure=self._get(Action.REVIEW))
        )

    @extend_schema(request=DisclosureReasonSerializer, responses=DisclosureSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        return self._out(
            services.disclosure_return(
                actor=request.user,
                disclosure=self._get(Action.REVIEW),
                **_valid(DisclosureReasonSerializer, request),
            )
        )

    @extend_schema(request={"multipart/form-data": FileSerializer}, responses=DisclosureSerializer)
    @action(detail=True, methods=["post"], url_path="import-table")
    def import_table(self, request, pk=None):
        return self._out(
            services.disclosure_import_table(
                actor=request.user,
                disclosure=self._get(Action.EDIT),
                file=_valid(FileSerializer, request)["file"],
            )
        )


class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter

    def get_queryset(self):
        return selectors.decisions_for_user(user=self.request.user).prefetch_related("steps")

    def _get(self):
        return selectors.decision_get(
            user=self.request.user, pk=self.kwargs["pk"], action=Action.DECIDE
        )

    def _out(self, obj, status=200):
        return Response(DecisionSerializer(obj).data, status=status)

    @extend_schema(request=DecisionCreateSerializer, responses={201: DecisionSerializer})
    def create(self, request):
        data = _valid(DecisionCreateSerializer, request)
        data["village"] = _village(request, data["village"], Action.DECIDE)
        return self._out(services.decision_create(actor=request.user, **data), 201)

    @extend_schema(request=OneMatterCreateSerializer, responses={201: DecisionSerializer})
    @action(detail=False, methods=["post"], url_path="one-matter")
    def one_matter(self, request):
        """一事一议: a public-welfare project with its plan of contributions."""
        data = _valid(OneMatterCreateSerializer, request)
        data["village"] = _village(request, data["village"], Action.DECIDE)
        return self._out(services.one_matter_create(actor=request.user, **data), 201)

    @extend_schema(request=StageSerializer, responses=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        return self._out(
            services.decision_advance(
                actor=request.user, decision=self._get(), **_valid(StageSerializer, request)
            )
        )

    @extend_schema(request=TownRefuseSerializer, responses=DecisionSerializer)
    @action(detail=True, methods=["post"], url_path="town-refuse")
    def town_refuse(self, request, pk=None):
        """乡镇审核不同意: the town refuses a passed 一事一议 plan, with its reason (final)."""
        return self._out(
            services.decision_town_refuse(
                actor=request.user, decision=self._get(), **_valid(TownRefuseSerializer, request)
            )
        )

    @extend_schema(request=VoteSerializer, responses=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        return self._out(
            services.decision_vote(
                actor=request.user, decision=self._get(), **_valid(VoteSerializer, request)
            )
        )

    @extend_schema(request=PublishSerializer, responses=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def resolution(self, request, pk=None):
        data = _valid(PublishSerializer, request)
        return self._out(
            services.decision_publish_resolution(
                actor=request.user,
                decision=self._get(),
                resolution=data["text"],
                held_on=data["held_on"],
            )
        )

    @extend_schema(request=PublishSerializer, responses=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def result(self, request, pk=None):
        data = _valid(PublishSerializer, request)
        return self._out(
            services.decision_publish_result(
                actor=request.user,
                decision=self._get(),
                result=data["text"],
                held_on=data["held_on"],
            )
        )


class FeedbackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Residents' questions, ratings and supervision reports 述询评督 (staff side)."""

    serializer_class = FeedbackSerializer
    filterset_class = FeedbackFilter

    def get_queryset(self):
        return selectors.feedback_for_user(user=self.request.user)

    @extend_schema(request=AnswerSerializer, responses=FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        fb = selectors.feedback_get(user=request.user, pk=pk, action=Action.ANSWER)
        fb = services.feedback_answer(
            actor=request.user, feedback=fb, **_valid(AnswerSerializer, request)
        )
        return Response(FeedbackSerializer(fb).data)


class IssueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The focal-issue ledger 问题台账."""

    serializer_class = IssueSerializer
    filterset_class = IssueFilter

    def get_queryset(self):
        return selectors.issues_for_user(user=self.request.user)

    def _get(self):
        return selectors.issue_get(
            user=self.request.user, pk=self.kwargs["pk"], action=Action.DECIDE
        )

    @extend_schema(request=IssueCreateSerializer, responses={201: IssueSerializer})
    def create(self, request):
        data = _valid(IssueCreateSerializer, request)
        data["village"] = _village(request, data["village"], Action.DECIDE)
        return Response(
            IssueSerializer(services.issue_create(actor=request.user, **data)).data, status=201
        )

    @extend_schema(request=RectifySerializer, responses=IssueSerializer)
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        issue = services.issue_rectify(
            actor=request.user, issue=self._get(), **_valid(RectifySerializer, request)
        )
        return Response(IssueSerializer(issue).data)

    @extend_schema(request=None, responses=IssueSerializer)
    @action(detail=True, methods=["post"], url_path="cross-off")
    def cross_off(self, request, pk=None):
        return Response(
            IssueSerializer(services.issue_cross_off(actor=request.user, issue=self._get())).data
        )

    @extend_schema(request=DisclosureReasonSerializer, responses=IssueSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        issue = services.issue_reopen(
            actor=request.user, issue=self._get(), **_valid(DisclosureReasonSerializer, request)
        )
        return Response(IssueSerializer(issue).data)


_CompletenessRow = inline_serializer(
    "DisclosureCompleteness",
    {
        "village": serializers.IntegerField(),
        "village_code": serializers.CharField(),
        "required": serializers.IntegerField(),
        "published": serializers.IntegerField(),
        "missing": serializers.ListField(child=serializers.DictField()),
    },
    many=True,
)


class CompletenessViewSet(viewsets.ViewSet):
    """Mandatory items not yet published per village for ?period= (and ?town=)."""

    @extend_schema(responses=_CompletenessRow)
    def list(self, request):
        town = None
        if request.query_params.get("town"):
            town = get_object_or_404(
                selectors.towns_for_user(user=request.user), pk=request.query_params["town"]
            )
        rows = selectors.completeness(
            user=request.user,
            period=request.query_params.get("period") or selectors.default_period(),
            town=town,
        )
        return Response(
            [
                {
                    "village": r.village.pk,
                    "village_code": r.village.code,
                    "required": r.required,
                    "published": r.done,
                    "missing": [
                        {"item": i.code, "name": i.name, "period": p} for i, p in r.missing
                    ],
                }
                for r in rows
            ]
        )


def register(router) -> None:
    router.register("disclosure/items", ItemViewSet, basename="disclosure-item")
    router.register("disclosure/disclosures", DisclosureViewSet, basename="disclosure")
    router.register("disclosure/decisions", DecisionViewSet, basename="disclosure-decision")
    router.register("disclosure/feedback", FeedbackViewSet, basename="disclosure-feedback")
    router.register("disclosure/issues", IssueViewSet, basename="disclosure-issue")
    router.register(
        "disclosure/completeness", CompletenessViewSet, basename="disclosure-completeness"
    )
