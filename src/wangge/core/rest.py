"""The REST classes that settings.REST_FRAMEWORK names by dotted path: pagination, the JSON
parser and the exception handler. DRF imports these while it loads its own views, so this
module must not import rest_framework.views or viewsets at import time."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, parsers, status
from rest_framework.response import Response

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
    from rest_framework.views import exception_handler as drf_exception_handler

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
