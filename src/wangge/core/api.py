"""Shared REST plumbing: pagination, one error format, scope-filtered viewsets.

Every error the API answers has the same shape::

    {"code": "<stable code>", "detail": "<message in the user's language>",
     "field": "<input at fault, when there is one>", "errors": {<field>: [<messages>]}}

Viewsets read through selectors (`get_queryset` returns only what the user may see, so an
object outside the scope answers 404 like one that does not exist) and write through
services (`perform_service_create` / `perform_service_update`); serializers only shape and
type-check the input.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, parsers, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but a body nested deeper than Python's recursion limit is a 400
    like any other malformed JSON, not a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON body is nested too deeply."))


# The parsers of every API view (set DEFAULT_PARSER_CLASSES to these to cover all views).
PARSER_CLASSES = [JSONParser, parsers.FormParser, parsers.MultiPartParser]


class JSONField(serializers.JSONField):
    """A JSON value inside a form body is parsed here; too deep a nesting is invalid input."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except RecursionError:
            self.fail("invalid")


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (for the OpenAPI schema)."""

    code = serializers.CharField()
    detail = serializers.CharField()
    field = serializers.CharField(required=False)
    errors = serializers.DictField(required=False)


def _first_field(errors) -> str | None:
    if isinstance(errors, dict):
        for key in errors:
            if key != "non_field_errors":
                return str(key)
    return None


def domain_error_response(exc: DomainError) -> Response:
    return Response(exc.as_dict(), status=exc.status)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, Http404):
        return Response(
            {"code": "not_found", "detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND
        )
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data
        data = {"code": "invalid", "detail": _("The input is not valid.")}
        if isinstance(errors, dict):
            field = _first_field(errors)
            if field:
                data["field"] = field
            data["errors"] = errors
        else:
            data["errors"] = {"non_field_errors": errors}
        response.data = data
        return response
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    codes = exc.get_codes()
    response.data = {
        "code": codes if isinstance(codes, str) else exc.default_code,
        "detail": str(detail if detail is not None else exc.detail),
    }
    return response


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to an object the requesting user can see: anything else is refused as
    "does not exist", exactly like an unknown id.

    `selector(user=...)` gives the candidates per request; `model` types the schema."""

    def __init__(self, *, selector, model, **kwargs):
        self.selector = selector
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model._default_manager.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.selector(user=getattr(request, "user", None))


_VIEWSET_NAMES = {
    "ScopedViewSet",
    "ReadOnlyScopedViewSet",
    "ScopedModelViewSet",
    "ServiceCreateMixin",
    "ServiceUpdateMixin",
}


def __getattr__(name):
    # The base viewsets live in core.viewsets: rest_framework.generics imports this module
    # (for DEFAULT_PAGINATION_CLASS) while it loads, so this module cannot import it back.
    if name in _VIEWSET_NAMES:
        from . import viewsets

        return getattr(viewsets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
