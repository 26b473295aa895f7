"""REST API of cases: /api/cases/ (scope-filtered list, idempotent create, detail with the
timeline) and one POST action per step of the loop (/api/cases/{id}/accept/ …).
Reads go through selectors.cases_for_user, writes through the services."""

from __future__ import annotations

import copy
import functools
import json
import math

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.fields import empty
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from wangge.accounts.models import Department, User
from wangge.accounts.selectors import active_posts
from wangge.areas.models import Area
from wangge.core.errors import DomainError, NotFound
from wangge.core.rest import TokenAuthentication
from wangge.people.models import Household

from . import permissions, services
from .choices import (
    CaseState,
    Level,
    NotificationVerb,
    ReceiptStatus,
    Satisfaction,
    Source,
    Urgency,
    Verb,
    WarningLevel,
)
from .filters import CaseFilter
from .kpis import kpi_report
from .models import Case, CaseAction, CaseAttachment, Notification
from .public import role_label
from .selectors import cases_for_user, notifications_for_user, receipt_for_user

STAFF_SOURCES = [s for s in Source.values if s not in (Source.QR, Source.OPEN311)]


def enum_field(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field documented with an inline enum: the choice sets of cases share field
    names (level, source, state…) with other apps' and with each other, which would make
    drf-spectacular invent colliding component names."""
    values = [value for value, _label in choices]
    if kwargs.get("allow_blank"):
        values = ["", *values]

    # Wrapped in allOf so that the enum post-processing (which names enums after the
    # property) leaves it inline.
    @extend_schema_field({"allOf": [{"type": "string", "enum": values}]})
    class _EnumField(serializers.ChoiceField):
        pass

    return _EnumField(choices=choices, **kwargs)


class CaseActionSerializer(serializers.ModelSerializer):
    verb = enum_field(Verb.choices, read_only=True)
    from_state = enum_field(CaseState.choices, read_only=True, allow_blank=True)
    to_state = enum_field(CaseState.choices, read_only=True, allow_blank=True)
    from_level = enum_field(Level.choices, read_only=True, allow_blank=True)
    to_level = enum_field(Level.choices, read_only=True, allow_blank=True)
    verb_display = serializers.CharField(source="get_verb_display", read_only=True)
    actor_name = serializers.SerializerMethodField()
    actor_role_display = serializers.SerializerMethodField()

    class Meta:
        model = CaseAction
        fields = [
            "id",
            "created_at",
            "verb",
            "verb_display",
            "actor",
            "actor_name",
            "actor_role",
            "actor_role_display",
            "from_state",
            "to_state",
            "from_level",
            "to_level",
            "note",
            "is_public",
            "data",
        ]
        read_only_fields = fields

    def get_actor_name(self, obj) -> str:
        return str(obj.actor) if obj.actor_id else ""

    def get_actor_role_display(self, obj) -> str:
        return role_label(obj.actor_role)


class CaseAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = CaseAttachment
        fields = ["id", "url", "content_type", "size", "created_at"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return obj.file.url


class CaseSerializer(serializers.ModelSerializer):
    urgency = enum_field(Urgency.choices, read_only=True)
    source = enum_field(Source.choices, read_only=True)
    state = enum_field(CaseState.choices, read_only=True)
    level = enum_field(Level.choices, read_only=True)
    warning = enum_field(WarningLevel.choices, read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    handler_name = serializers.SerializerMethodField()
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "title",
            "category",
            "category_name",
            "urgency",
            "source",
            "state",
            "state_display",
            "level",
            "level_display",
            "warning",
            "area",
            "grid",
            "grid_name",
            "handler",
            "handler_name",
            "department",
            "lat",
            "lng",
            "reported_at",
            "accepted_at",
            "resolved_at",
            "closed_at",
            "respond_by",
            "resolve_by",
        ]
        read_only_fields = fields

    def get_handler_name(self, obj) -> str:
        return str(obj.handler) if obj.handler_id else ""


class CaseDetailSerializer(CaseSerializer):
    settled_level = enum_field(Level.choices, read_only=True, allow_blank=True)
    satisfaction = enum_field(Satisfaction.choices, read_only=True, allow_blank=True)
    public_satisfaction = enum_field(Satisfaction.choices, read_only=True, allow_blank=True)
    timeline = CaseActionSerializer(source="actions", many=True, read_only=True)
    attachments = CaseAttachmentSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "tracking_code",
            "description",
            "address",
            "reporter_name",
            "reporter_phone",
            "household",
            "first_responder",
            "department_reported_at",
            "resolution",
            "settled_level",
            "satisfaction",
            "public_satisfaction",
            "merged_into",
            "timeline",
            "attachments",
        ]
        read_only_fields = fields


_detail_serializer: CaseDetailSerializer | None = None


def detail_data(case: Case) -> dict:
    """CaseDetailSerializer's representation of `case` (its relations loaded by the caller).
    A ModelSerializer builds its ~70 fields (nested ones included) again for every instance,
    which costs more than writing a new case; this one is built once per process and only
    reads: its fields use no request context (no hyperlinks; photo URLs come from storage)."""
    global _detail_serializer
    if _detail_serializer is None:
        _detail_serializer = CaseDetailSerializer()
    return _detail_serializer.to_representation(case)


class BoundOnceMixin:
    """Fields built once per process: DRF deep-copies every declared field for every instance
    (running each field's __init__ again, querysets and choices included), which costs more
    than checking a report. These serializers' fields keep no state between validations, so
    each instance binds shallow copies of one set."""

    def get_fields(self):
        cls = type(self)
        template = cls.__dict__.get("_bound_once_fields")
        if template is None:
            template = super().get_fields()
            cls._bound_once_fields = template
        return {name: copy.copy(f) for name, f in template.items()}


class CaseCreateSerializer(BoundOnceMixin, serializers.Serializer):
    source = enum_field([(v, v) for v in STAFF_SOURCES], default=Source.API)
    category = serializers.CharField(max_length=40, required=False, allow_blank=True)
    urgency = enum_field(Urgency.choices, required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=20000)
    lat = serializers.FloatField(required=False, allow_null=True)
    lng = serializers.FloatField(required=False, allow_null=True)
    area = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.all(), required=False, allow_null=True
    )
    household = serializers.PrimaryKeyRelatedField(
        queryset=Household.objects.all(), required=False, allow_null=True
    )
    address = serializers.CharField(max_length=400, required=False, allow_blank=True)
    reporter_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    reporter_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class ReceiptSerializer(serializers.Serializer):
    """A receipt 受理回执: the answer to a report acknowledged before it is routed."""

    tracking_code = serializers.CharField(read_only=True)
    status = enum_field(ReceiptStatus.choices, read_only=True)
    status_display = serializers.CharField(read_only=True)
    received_at = serializers.DateTimeField(read_only=True)
    case = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The case's id once it is taken in."
    )
    number = serializers.CharField(read_only=True, allow_null=True)
    url = serializers.CharField(read_only=True, help_text="This receipt (GET it for news).")
    progress_url = serializers.CharField(
        read_only=True, help_text="The public progress board 流程看板 of the report."
    )
    error = serializers.CharField(read_only=True)


_RECEIPT_STATUS_LABELS = dict(ReceiptStatus.choices)  # lazy: translated when read


def receipt_data(receipt, case=None) -> dict:
    code = receipt.tracking_code
    # As DRF writes datetimes, in the county's zone (nothing activates another).
    received = timezone.localtime(receipt.received_at, timezone.get_default_timezone())
    received = received.isoformat()
    return {
        "tracking_code": code,
        "status": receipt.status,
        "status_display": str(_RECEIPT_STATUS_LABELS[receipt.status]),
        "received_at": received[:-6] + "Z" if received.endswith("+00:00") else received,
        "case": case.pk if case is not None else None,
        "number": case.number if case is not None else None,
        "url": f"/api/cases/receipts/{code}/",
        "progress_url": f"/t/{code}",
        "error": receipt.error if receipt.status == ReceiptStatus.FAILED else "",
    }


def wants_async(request) -> bool:
    """RFC 7240 `Prefer: respond-async`: acknowledge now, route in the background."""
    prefer = request.META.get("HTTP_PREFER", "")
    return any(p.strip().lower() == "respond-async" for p in prefer.split(","))


def report_kwargs(request, user, d: dict) -> dict:
    """The intake services' keyword arguments for a report whose body validated as `d`
    (CaseCreateSerializer's validated data)."""
    return dict(
        actor=user,
        source=d.get("source", Source.API),
        description=d["description"],
        title=d.get("title", ""),
        category=d.get("category") or None,
        urgency=d.get("urgency"),
        lat=d.get("lat"),
        lng=d.get("lng"),
        area=d.get("area"),
        household=d.get("household"),
        address=d.get("address", ""),
        reporter_name=d.get("reporter_name", ""),
        reporter_phone=d.get("reporter_phone", ""),
        # (A JSON body has no files: its request is not asked to parse them.)
        photos=d.get("photos")
        or (
            request.FILES.getlist("photos") if request.content_type.startswith("multipart/") else []
        ),
        idempotency_client=f"user:{user.pk}",
        idempotency_key=request.META.get("HTTP_IDEMPOTENCY_KEY", ""),
    )


def acknowledge(report: dict) -> tuple[dict, dict]:
    """Take a report in as a receipt (services.case_receive): the 202 answer's body and
    headers."""
    receipt = services.case_receive(**report)
    case = None
    if receipt.replayed and receipt.status == ReceiptStatus.DONE:
        case = Case.objects.filter(tracking_code=receipt.tracking_code).first()
    data = receipt_data(receipt, case)
    return data, {"Location": data["url"], "Preference-Applied": "respond-async"}


# ---------------------------------------------------------------------------------------------
# The phone's acknowledged report without the REST framework's machinery
#
# `POST /api/cases/` with `Prefer: respond-async` is what every phone sends for every report,
# and the REST framework's per-request work (request wrapper, content negotiation, the
# serializer's field copies and validators, the response renderer) costs more than checking,
# locating and storing the report itself. A request that is plainly well formed — a token,
# a JSON object of plain values that CaseCreateSerializer would take as they are — is
# answered here, with the same services and the same answer; anything else (no token, a form
# or multipart body, a value the serializer would coerce or refuse, a report the services
# refuse) goes to the REST framework's view, which gives the one canonical answer, errors
# included. Nothing is written before that decision: the services refuse before they write.


class _Decline(Exception):
    """The fast path leaves this request to the REST framework's view."""


def _strict_constant(value):
    raise _Decline  # NaN and Infinity: DRF's strict JSON refuses them


def _plain_text(field: serializers.CharField):
    max_length, allow_blank = field.max_length, field.allow_blank

    def check(value):
        if type(value) is not str:
            raise _Decline
        value = value.strip()
        if not value and not allow_blank:
            raise _Decline
        if (max_length is not None and len(value) > max_length) or "\x00" in value:
            raise _Decline
        try:
            value.encode("utf-8")  # a lone surrogate cannot be stored: the serializer refuses it
        except UnicodeEncodeError:
            raise _Decline from None
        return value

    return check


def _plain_choice(field: serializers.ChoiceField):
    table = field.choice_strings_to_values

    def check(value):
        if type(value) is not str or value not in table:
            raise _Decline
        return table[value]

    return check


def _plain_float(field: serializers.FloatField):
    def check(value):
        if type(value) not in (int, float):
            raise _Decline  # a numeric string: the serializer's conversion
        try:
            value = float(value)
        except OverflowError:
            raise _Decline from None
        if not math.isfinite(value):
            raise _Decline
        return value

    return check


def _plain_pk(field: serializers.PrimaryKeyRelatedField):
    def check(value):
        if type(value) is not int:
            raise _Decline
        obj = field.get_queryset().filter(pk=value).first()
        if obj is None:
            raise _Decline
        return obj

    return check


def _decline(_value):
    raise _Decline


@functools.cache
def _intake_fields() -> list[tuple[str, object, object]]:
    """(name, check, default) per field of CaseCreateSerializer; `default` is the field's
    default, `_Decline` for a required field, None for an optional field left out."""
    out = []
    for name, field in CaseCreateSerializer().get_fields().items():
        if isinstance(field, serializers.ChoiceField):
            check = _plain_choice(field)
        elif isinstance(field, serializers.CharField):
            check = _plain_text(field)
        elif isinstance(field, serializers.FloatField):
            check = _plain_float(field)
        elif isinstance(field, serializers.PrimaryKeyRelatedField):
            check = _plain_pk(field)
        else:
            check = _decline  # photos travel as multipart, never in JSON
        if field.allow_null:
            check = functools.partial(_or_none, check)
        if field.required:
            default = _Decline
        elif field.default is not empty:
            default = field.default
        else:
            default = None
        out.append((name, check, default))
    return out


def _or_none(check, value):
    return None if value is None else check(value)


def _plain_report(request) -> tuple[object, dict]:
    """(user, validated data) of a request the fast path takes, else _Decline."""
    if request.META.get("QUERY_STRING") or request.content_type != "application/json":
        raise _Decline
    if request.content_params.get("charset", "utf-8").lower() != "utf-8":
        raise _Decline
    if request.META.get("HTTP_ACCEPT", "*/*") not in ("*/*", "application/json"):
        raise _Decline  # the browsable API, say
    try:
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        raise _Decline from None
    if found is None:
        raise _Decline  # a session: the REST framework checks its CSRF token
    try:
        body = json.loads(request.body.decode("utf-8"), parse_constant=_strict_constant)
    except (ValueError, RecursionError):
        raise _Decline from None
    if type(body) is not dict:
        raise _Decline
    data = {}
    for name, check, default in _intake_fields():
        if name in body:
            data[name] = check(body[name])
        elif default is _Decline:
            raise _Decline
        elif default is not None:
            data[name] = default
    return found[0], data


_ACK_HEADERS = {"Vary": "Accept", "Allow": "GET, POST, HEAD, OPTIONS"}


def fast_acknowledge(request):
    """The 202 answer to a plainly well-formed `Prefer: respond-async` report, or None when
    the REST framework's view should answer it."""
    if request.method != "POST" or not wants_async(request):
        return None
    try:
        user, data = _plain_report(request)
        request.user = user
        body, headers = acknowledge(report_kwargs(request, user, data))
    except (_Decline, DomainError):
        return None  # the services refuse before they write: the full view says why
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(
        text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode(),
        content_type="application/json",
        status=status.HTTP_202_ACCEPTED,
    )
    for key, value in (*_ACK_HEADERS.items(), *headers.items()):
        response[key] = value
    return response


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class PublicNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=20000)
    is_public = serializers.BooleanField(default=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=20000)


class HelpSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=20000)
    helpers = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), many=True, required=False
    )


class DispatchSerializer(serializers.Serializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class TransferSerializer(serializers.Serializer):
    handler = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    grid = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.all(), required=False, allow_null=True
    )
    reason = serializers.CharField(max_length=20000)


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField()
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=20000)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class ReturnVisitSerializer(serializers.Serializer):
    satisfaction = enum_field(Satisfaction.choices)
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class KpiQuerySerializer(serializers.Serializer):
    area = serializers.IntegerField(required=False)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="A key unique per report: a retry with the same key and body returns the "
    "case created the first time (200) instead of a second case; the same key with another "
    "body answers 400 idempotency_conflict.",
)
PREFER_HEADER = OpenApiParameter(
    "Prefer",
    location=OpenApiParameter.HEADER,
    required=False,
    description="`respond-async` (RFC 7240): the report is checked, located and acknowledged "
    "at once with 202 and a receipt (tracking code, status URL); the intake worker routes it "
    "into a case a moment later. Without it the case is made before the answer (201).",
)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases 事件 in the user's scope (a post's subtree; department staff: the cases
    dispatched to their department)."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        view = super().as_view(actions, **initkwargs)
        if not actions or actions.get("post") != "create":
            return view

        def collection(request, *args, **kwargs):
            return fast_acknowledge(request) or view(request, *args, **kwargs)

        # The router, the schema generator and CSRF see the REST framework's view.
        return functools.update_wrapper(collection, view)

    def get_queryset(self):
        qs = cases_for_user(user=self.request.user).select_related(
            "category", "grid", "handler", "department"
        )
        if self.action == "retrieve":
            qs = qs.prefetch_related("actions__actor", "attachments")
        return qs.order_by("-reported_at", "-id")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CaseDetailSerializer
        if self.action == "create":
            return CaseCreateSerializer
        return _ACTION_SERIALIZERS.get(self.action, CaseSerializer)

    def _detail(self, case, status_code=status.HTTP_200_OK) -> Response:
        case = (
            Case.objects.select_related("category", "grid", "handler", "department")
            .prefetch_related("actions__actor", "attachments")
            .get(pk=case.pk)
        )
        return Response(detail_data(case), status=status_code)

    @extend_schema(
        request=CaseCreateSerializer,
        responses={201: CaseDetailSerializer, 200: CaseDetailSerializer, 202: ReceiptSerializer},
        parameters=[IDEMPOTENCY_HEADER, PREFER_HEADER],
    )
    def create(self, request, *args, **kwargs):
        s = CaseCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        report = report_kwargs(request, request.user, s.validated_data)
        if wants_async(request):
            data, headers = acknowledge(report)
            return Response(data, status=status.HTTP_202_ACCEPTED, headers=headers)
        case = services.case_report(**report)
        if getattr(case, "replayed", False):
            return self._detail(case, status.HTTP_200_OK)
        if not hasattr(case, "new_timeline"):
            # Taken in through its receipt (the receipts in a database of their own,
            # wangge.core.routers): read back.
            return self._detail(case, status.HTTP_201_CREATED)
        # A new case comes back from the service with everything its detail shows (category,
        # grid, handler, its one action and its photos): no second read. They are handed to
        # the serializer as Django's prefetching would (querysets with their rows).
        cache = {}
        for name, rows in zip(("actions", "attachments"), case.new_timeline, strict=True):
            qs = getattr(case, name).all()
            qs._result_cache, qs._prefetch_done = list(rows), True
            cache[name] = qs
        case._prefetched_objects_cache = cache
        return Response(detail_data(case), status=status.HTTP_201_CREATED)

    def _run(self, request, fn, **fixed):
        case = self.get_object()
        serializer_class = _ACTION_SERIALIZERS.get(self.action)
        data = {}
        if serializer_class is not None:
            s = serializer_class(data=request.data)
            s.is_valid(raise_exception=True)
            data = dict(s.validated_data)
        data.update(fixed)
        case = fn(case=case, actor=request.user, **data)
        return self._detail(case)

    @extend_schema(request=NoteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._run(request, services.case_accept)

    @extend_schema(request=PublicNoteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        return self._run(request, services.case_add_note)

    @extend_schema(request=HelpSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="request-help")
    def request_help(self, request, pk=None):
        return self._run(request, services.case_request_help)

    @extend_schema(request=ReasonSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._run(request, services.case_escalate)

    @extend_schema(request=DispatchSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_to(self, request, pk=None):
        return self._run(request, services.case_dispatch)

    @extend_schema(request=NoteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="report-in")
    def report_in(self, request, pk=None):
        return self._run(request, services.case_report_in)

    @extend_schema(request=ReasonSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return-from-department")
    def return_from_department(self, request, pk=None):
        return self._run(request, services.case_return_from_department)

    @extend_schema(request=TransferSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        return self._run(request, services.case_transfer)

    @extend_schema(request=MergeSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        case = self.get_object()
        s = MergeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        into = self.get_queryset().filter(pk=s.validated_data["into"]).first()
        if into is None:
            raise DomainError(_("Choose another case to merge into."), field="into")
        case = services.case_merge(
            case=case, actor=request.user, into=into, note=s.validated_data.get("note", "")
        )
        return self._detail(case)

    @extend_schema(request=ReasonSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._run(request, services.case_reject)

    @extend_schema(request=ResolveSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._run(request, services.case_resolve)

    @extend_schema(request=ReturnVisitSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return-visit")
    def return_visit(self, request, pk=None):
        return self._run(request, services.case_return_visit)

    @extend_schema(
        parameters=[KpiQuerySerializer],
        responses=inline_serializer("CaseKpis", {"area": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["get"])
    def kpis(self, request):
        """KPIs over an area subtree (default: the user's first scope) for start..end
        (default: the current month): the cases received in the period and what has become
        of them so far (overdue: now), with the ranking 打擂台 of the areas one level down
        (score formula: wangge.cases.kpis.SCORE_WEIGHTS)."""
        q = KpiQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        today = timezone.localdate()
        start = q.validated_data.get("start") or today.replace(day=1)
        end = q.validated_data.get("end") or today
        area_id = q.validated_data.get("area")
        if area_id is None:
            posts = [p for p in active_posts(request.user) if p.role in permissions.CASE_ROLES]
            area = (
                min((p.area for p in posts), key=lambda a: len(a.path), default=None)
                if posts
                else Area.objects.filter(depth=1).order_by("path").first()
                if request.user.is_superuser
                else None
            )
        else:
            area = Area.objects.filter(pk=area_id).first()
        if area is None or not permissions.in_scope(request.user, area.path):
            raise NotFound(_("No such area."))
        report = kpi_report(area=area, start=start, end=end)
        ranking = [
            {
                "rank": row.rank,
                "area": row.area.pk,
                "name": row.area.name,
                "score": row.kpis.score,
                **row.kpis.as_dict(),
            }
            for row in report.ranking
        ]
        return Response(
            {
                "area": area.pk,
                "start": start,
                "end": end,
                **report.totals.as_dict(),
                "ranking": ranking,
            }
        )

    @extend_schema(request=None, responses=ReceiptSerializer)
    @action(
        detail=False, methods=["get"], url_path=r"receipts/(?P<tracking_code>[A-Za-z0-9_-]{1,64})"
    )
    def receipt(self, request, tracking_code=None):
        """A receipt 受理回执 of a report acknowledged with `Prefer: respond-async`: pending,
        then done with the case's id and number (or failed, with the reason). Seen by whoever
        sent it and by anyone who may see its case."""
        receipt, case = receipt_for_user(user=request.user, tracking_code=tracking_code)
        return Response(receipt_data(receipt, case))

    @extend_schema(request=NoteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._run(request, services.case_close)


_ACTION_SERIALIZERS = {
    "accept": NoteSerializer,
    "note": PublicNoteSerializer,
    "request_help": HelpSerializer,
    "escalate": ReasonSerializer,
    "dispatch_to": DispatchSerializer,
    "report_in": NoteSerializer,
    "return_from_department": ReasonSerializer,
    "transfer": TransferSerializer,
    "merge": MergeSerializer,
    "reject": ReasonSerializer,
    "resolve": ResolveSerializer,
    "return_visit": ReturnVisitSerializer,
    "close": NoteSerializer,
}


class NotificationSerializer(serializers.ModelSerializer):
    verb = enum_field(NotificationVerb.choices, read_only=True)
    case_number = serializers.CharField(source="case.number", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "case", "case_number", "verb", "text", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """My notifications 消息提醒, newest first; ?unread=true for the unread ones only."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        qs = notifications_for_user(user=self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs.order_by("-created_at", "-id")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read (idempotent)."""
        n = services.notification_mark_read(user=request.user, notification_id=pk)
        n = notifications_for_user(user=request.user).get(pk=n.pk)
        return Response(NotificationSerializer(n).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("NotificationsRead", {"read": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark all my notifications read."""
        return Response({"read": services.notifications_mark_all_read(user=request.user)})


def register(router) -> None:
    router.register("cases/notifications", NotificationViewSet, basename="case-notification")
    router.register("cases", CaseViewSet, basename="case")
