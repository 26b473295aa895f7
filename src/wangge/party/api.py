"""REST API of the party network: organisations 党组织, members 党员, contacts 联户, five-star
ratings 五星创评 and the needs list 需求清单. Reads go through the party selectors (out of scope
answers 404), writes through the party services (which check who may do what)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from wangge.areas.models import Area
from wangge.core.api import ScopedModelViewSet, ScopedPrimaryKeyRelatedField
from wangge.core.errors import DomainError
from wangge.people.models import Household

from . import selectors, services
from .choices import (
    GridLevel,
    MemberStatus,
    NeedSource,
    OrgKind,
    Star,
)
from .filters import ContactFilter, MemberFilter, NeedFilter, OrgFilter, StarRatingFilter
from .models import Contact, Need, PartyMember, PartyOrg, StarRating

# -- organisations ------------------------------------------------------------------------


class OrgSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    parent_name = serializers.CharField(source="parent.name", read_only=True, default=None)
    areas = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PartyOrg
        fields = [
            "id",
            "name",
            "kind",
            "parent",
            "parent_name",
            "depth",
            "area",
            "area_name",
            "areas",
            "contact_quota_min",
            "contact_quota_max",
            "member_count",
            "is_active",
        ]
        read_only_fields = fields


class OrgCreateSerializer(serializers.Serializer):
    parent = ScopedPrimaryKeyRelatedField(
        selector=selectors.orgs_for_user, model=PartyOrg, allow_null=True
    )
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=OrgKind.choices)
    area = ScopedPrimaryKeyRelatedField(selector=selectors.areas_for_party, model=Area)
    areas = ScopedPrimaryKeyRelatedField(
        selector=selectors.areas_for_party, model=Area, many=True, required=False
    )
    contact_quota_min = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    contact_quota_max = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class OrgUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    areas = ScopedPrimaryKeyRelatedField(
        selector=selectors.areas_for_party, model=Area, many=True, required=False
    )
    contact_quota_min = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    contact_quota_max = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class CoverageSerializer(serializers.Serializer):
    households = serializers.IntegerField()
    covered = serializers.IntegerField()
    uncovered = serializers.IntegerField()
    members = serializers.IntegerField()
    members_without_contacts = serializers.IntegerField()
    rate = serializers.FloatField()


class OrgViewSet(ScopedModelViewSet):
    """Party organisations in the user's party scope, as a tree in path order."""

    serializer_class = OrgSerializer
    create_serializer_class = OrgCreateSerializer
    update_serializer_class = OrgUpdateSerializer
    filterset_class = OrgFilter

    def get_queryset(self):
        return selectors.orgs_for_user(user=self.request.user).prefetch_related("areas")

    def perform_service_create(self, data):
        return services.org_create(actor=self.request.user, **data)

    def perform_service_update(self, instance, data):
        actor = self.request.user
        if "name" in data and data["name"] != instance.name:
            instance = services.org_rename(actor=actor, org=instance, name=data["name"])
        extra = {
            k: data[k] for k in ("areas", "contact_quota_min", "contact_quota_max") if k in data
        }
        if extra:
            instance = services.org_set_areas(actor=actor, org=instance, **extra)
        return instance

    @extend_schema(responses=CoverageSerializer)
    @action(detail=True, methods=["get"])
    def coverage(self, request, pk=None):
        """Contact coverage 联户覆盖 of the organisation's area."""
        org = self.get_object()
        cov = selectors.contact_coverage(user=request.user, area=org.area)
        data = {**cov.__dict__, "rate": cov.rate}
        return Response(CoverageSerializer(data).data)


# -- members ------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    is_over_60 = serializers.BooleanField(read_only=True)
    contact_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "name",
            "phone",
            "org",
            "org_name",
            "status",
            "join_date",
            "birth_date",
            "grid_level",
            "is_mobile",
            "is_over_60",
            "is_in_service",
            "workplace",
            "is_central_household",
            "resident",
            "user",
            "contact_count",
            "is_active",
        ]
        read_only_fields = fields


class MemberCreateSerializer(serializers.Serializer):
    org = ScopedPrimaryKeyRelatedField(selector=selectors.orgs_for_user, model=PartyOrg)
    name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=MemberStatus.choices, default=MemberStatus.FULL)
    join_date = serializers.DateField()
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    grid_level = serializers.ChoiceField(choices=GridLevel.choices, default=GridLevel.MEMBER)
    is_mobile = serializers.BooleanField(default=False)
    is_in_service = serializers.BooleanField(default=False)
    workplace = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    is_central_household = serializers.BooleanField(default=False)


class MemberUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False)
    grid_level = serializers.ChoiceField(choices=GridLevel.choices, required=False)
    is_mobile = serializers.BooleanField(required=False)
    is_in_service = serializers.BooleanField(required=False)
    workplace = serializers.CharField(max_length=100, required=False, allow_blank=True)
    is_central_household = serializers.BooleanField(required=False)


class MemberViewSet(ScopedModelViewSet):
    serializer_class = MemberSerializer
    create_serializer_class = MemberCreateSerializer
    update_serializer_class = MemberUpdateSerializer
    filterset_class = MemberFilter

    def get_queryset(self):
        return selectors.members_for_user(user=self.request.user).order_by("org__path", "id")

    def perform_service_create(self, data):
        return services.member_create(actor=self.request.user, **data)

    def perform_service_update(self, instance, data):
        return services.member_update(actor=self.request.user, member=instance, **data)


# -- contacts -----------------------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    household_number = serializers.CharField(source="household.number", read_only=True)
    household_address = serializers.CharField(source="household.address", read_only=True)
    grid_name = serializers.CharField(source="household.grid.name", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "member",
            "member_name",
            "household",
            "household_number",
            "household_address",
            "grid_name",
            "assigned_on",
            "last_contact_at",
        ]
        read_only_fields = fields


class ContactCreateSerializer(serializers.Serializer):
    member = ScopedPrimaryKeyRelatedField(selector=selectors.members_for_user, model=PartyMember)
    household = ScopedPrimaryKeyRelatedField(
        selector=selectors.households_for_party, model=Household
    )


class ProposeSerializer(serializers.Serializer):
    grid = ScopedPrimaryKeyRelatedField(selector=selectors.areas_for_party, model=Area)
    apply = serializers.BooleanField(
        default=False, help_text="Apply the proposal at once instead of returning it."
    )


class ContactViewSet(ScopedModelViewSet):
    """Active contacts 联户. POST assigns a household by hand; /propose/ balances a grid."""

    http_method_names = ["get", "post", "head", "options"]
    serializer_class = ContactSerializer
    create_serializer_class = ContactCreateSerializer
    filterset_class = ContactFilter

    def get_queryset(self):
        return selectors.contacts_for_user(user=self.request.user).order_by("member_id", "id")

    def perform_service_create(self, data):
        return services.contact_assign(actor=self.request.user, **data)

    @extend_schema(request=None, responses=ContactSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        contact = services.contact_end(actor=request.user, contact=self.get_object())
        return Response(ContactSerializer(contact).data)

    @extend_schema(request=ProposeSerializer, responses=None)
    @action(detail=False, methods=["post"], serializer_class=ProposeSerializer)
    def propose(self, request):
        """Propose (or, with apply=true, make) a balanced assignment of a grid's households."""
        ser = ProposeSerializer(data=request.data, context=self.get_serializer_context())
        ser.is_valid(raise_exception=True)
        plan = services.contacts_propose(actor=request.user, grid=ser.validated_data["grid"])
        if ser.validated_data["apply"]:
            services.contacts_apply_plan(actor=request.user, plan=plan)
        return Response({**plan.as_dict(), "applied": ser.validated_data["apply"]})


# -- star ratings -------------------------------------------------------------------------


class StarRatingSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch_name = serializers.CharField(source="branch.name", read_only=True)

    class Meta:
        model = StarRating
        fields = [
            "id",
            "member",
            "member_name",
            "year",
            "branch",
            "branch_name",
            "state",
            "self_stars",
            "public_stars",
            "proposed_stars",
            "stars",
            "star_count",
            "approved_at",
        ]
        read_only_fields = fields


class StarsInput(serializers.Serializer):
    stars = serializers.ListField(
        child=serializers.ChoiceField(choices=Star.choices), required=False
    )
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class VotesInput(serializers.Serializer):
    votes = serializers.DictField(
        child=serializers.ListField(
            child=serializers.IntegerField(min_value=0), min_length=2, max_length=2
        ),
        help_text="Per star code: [votes for, votes against].",
    )
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class StarRatingOpenSerializer(serializers.Serializer):
    member = ScopedPrimaryKeyRelatedField(selector=selectors.members_for_user, model=PartyMember)
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class StarRatingViewSet(ScopedModelViewSet):
    """五星创评: each stage is its own action, each refused (409) out of order."""

    serializer_class = StarRatingSerializer
    create_serializer_class = StarRatingOpenSerializer
    filterset_class = StarRatingFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.star_ratings_for_user(user=self.request.user)

    def get_object(self):
        # The member and the peers of the branch reach a rating outside any party scope.
        return selectors.star_rating_get(user=self.request.user, pk=self.kwargs["pk"])

    def perform_service_create(self, data):
        return services.star_rating_open(actor=self.request.user, **data)

    def _step(self, request, service, input_cls, **extra):
        ser = input_cls(data=request.data)
        ser.is_valid(raise_exception=True)
        rating = service(
            actor=request.user, rating=self.get_object(), **ser.validated_data, **extra
        )
        return Response(StarRatingSerializer(rating).data)

    @extend_schema(request=StarsInput, responses=StarRatingSerializer)
    @action(detail=True, methods=["post"], url_path="self-evaluate")
    def self_evaluate(self, request, pk=None):
        return self._step(request, services.star_self_evaluate, StarsInput)

    @extend_schema(request=StarsInput, responses=StarRatingSerializer)
    @action(detail=True, methods=["post"], url_path="peer-evaluate")
    def peer_evaluate(self, request, pk=None):
        return self._step(request, services.star_peer_evaluate, StarsInput)

    @extend_schema(request=VotesInput, responses=StarRatingSerializer)
    @action(detail=True, methods=["post"], url_path="public")
    def public(self, request, pk=None):
        return self._step(request, services.star_public_enter, VotesInput)

    @extend_schema(request=StarsInput, responses=StarRatingSerializer)
    @action(detail=True, methods=["post"])
    def propose(self, request, pk=None):
        return self._step(request, services.star_propose, StarsInput)

    @extend_schema(request=StarsInput, responses=StarRatingSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._step(request, services.star_approve, StarsInput)

    @extend_schema(request=ReasonInput, responses=StarRatingSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request, pk=None):
        return self._step(request, services.star_return, ReasonInput)


# -- needs --------------------------------------------------------------------------------


class NeedSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True)
    claimed_by_name = serializers.CharField(source="claimed_by.name", read_only=True, default=None)

    class Meta:
        model = Need
        fields = [
            "id",
            "household",
            "household_number",
            "description",
            "source",
            "status",
            "claimed_by",
            "claimed_by_name",
            "claimed_at",
            "fulfilled_at",
            "result",
            "case_id",
            "created_at",
        ]
        read_only_fields = fields


class NeedCreateSerializer(serializers.Serializer):
    household = ScopedPrimaryKeyRelatedField(
        selector=selectors.households_for_party, model=Household
    )
    description = serializers.CharField(max_length=500)
    source = serializers.ChoiceField(choices=NeedSource.choices, default=NeedSource.VISIT)


class NeedClaimSerializer(serializers.Serializer):
    member = ScopedPrimaryKeyRelatedField(
        selector=selectors.members_for_user,
        model=PartyMember,
        required=False,
        help_text="Defaults to the requesting user's own member record.",
    )


class ResultInput(serializers.Serializer):
    result = serializers.CharField(max_length=500)


class NeedViewSet(ScopedModelViewSet):
    """The needs list 需求清单; members claim 认领 and fulfil needs."""

    serializer_class = NeedSerializer
    create_serializer_class = NeedCreateSerializer
    filterset_class = NeedFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.needs_for_user(user=self.request.user)

    def perform_service_create(self, data):
        return services.need_create(actor=self.request.user, **data)

    @extend_schema(request=NeedClaimSerializer, responses=NeedSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        need = self.get_object()
        ser = NeedClaimSerializer(data=request.data, context=self.get_serializer_context())
        ser.is_valid(raise_exception=True)
        member = ser.validated_data.get("member") or selectors.member_of_user(request.user)
        if member is None:
            raise DomainError(_("Choose the member who claims the need."), field="member")
        need = services.need_claim(actor=request.user, need=need, member=member)
        return Response(NeedSerializer(need).data)

    @extend_schema(request=ResultInput, responses=NeedSerializer)
    @action(detail=True, methods=["post"])
    def fulfil(self, request, pk=None):
        ser = ResultInput(data=request.data)
        ser.is_valid(raise_exception=True)
        need = services.need_fulfil(
            actor=request.user, need=self.get_object(), result=ser.validated_data["result"]
        )
        return Response(NeedSerializer(need).data)

    @extend_schema(request=None, responses=NeedSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        need = services.need_release(actor=request.user, need=self.get_object())
        return Response(NeedSerializer(need).data)


def register(router) -> None:
    router.register("party/orgs", OrgViewSet, basename="party-org")
    router.register("party/members", MemberViewSet, basename="party-member")
    router.register("party/contacts", ContactViewSet, basename="party-contact")
    router.register("party/star-ratings", StarRatingViewSet, basename="party-star-rating")
    router.register("party/needs", NeedViewSet, basename="party-need")
