"""The REST classes that settings.REST_FRAMEWORK names by dotted path: pagination, token
authentication, the JSON parser and the exception handler. DRF imports these while it loads its
own views, so this module must not import rest_framework.views or viewsets at import time."""

from __future__ import annotations

import functools
import time

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import (
    HTTP_HEADER_ENCODING,
    authentication,
    exceptions,
    pagination,
    parsers,
    status,
)
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


# A user read for a token is kept this long at most (besides the generation check, which
# drops every copy within a second of a change of users or tokens made anywhere).
TOKEN_CACHE_SECONDS = 60.0


def _token_table(_token: str) -> dict:
    return {}


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (`Authorization: Token <key>`), the same answers and errors,
    without DRF's select_related ORM query on every call: the user's row is read in one plain
    query and kept in this process's memory (core.generations "accounts.users": a changed or
    deactivated user or a deleted token is forgotten by every process within a second), and
    every request gets its own fresh instance of it."""

    def authenticate(self, request):
        """DRF's, reading the header from META: `request.headers` builds a dictionary of all
        the request's headers first (a tenth of the cost of a phone's acknowledged report's
        own work)."""
        auth = request.META.get("HTTP_AUTHORIZATION", b"")
        if isinstance(auth, str):
            auth = auth.encode(HTTP_HEADER_ENCODING)
        auth = auth.split()
        if not auth or auth[0].lower() != self.keyword.lower().encode():
            return None
        if len(auth) == 1:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. No credentials provided.")
            )
        if len(auth) > 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain spaces.")
            )
        try:
            token = auth[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain invalid characters.")
            ) from None
        return self.authenticate_credentials(token)

    def authenticate_credentials(self, key):
        from . import generations
        from .bulk import loaded

        user_model, token_model, alias, generation = _token_models()
        table = generations.cached(generation, _token_table)
        now = time.monotonic()
        hit = table.get(key)
        if hit is None or hit[0] < now:
            hit = (now + TOKEN_CACHE_SECONDS, self._read_user(key, user_model, token_model, alias))
            if len(table) > 10_000:
                table.clear()
            table[key] = hit
        attrs = hit[1]
        if attrs is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = loaded(user_model, alias, attrs)  # as from_db makes it, afresh
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # The token as the ORM reads it, its user in its cache (the keyword constructor would
        # go through the one-to-one descriptor).
        token = token_model.from_db(alias, ["key", "user_id"], [key, user.pk])
        token._state.fields_cache["user"] = user
        return (user, token)

    def _read_user(self, key, user_model, token_model, alias) -> dict | None:
        from django.db import connections

        connection = connections[alias]
        q = connection.ops.quote_name
        columns = ", ".join(f"u.{q(f.column)}" for f in user_model._meta.concrete_fields)
        sql = (
            f"SELECT {columns} FROM {q(user_model._meta.db_table)} u "
            f"JOIN {q(token_model._meta.db_table)} t "
            f"ON t.{q(token_model._meta.get_field('user').column)} = "
            f"u.{q(user_model._meta.pk.column)} "
            f"WHERE t.{q(token_model._meta.pk.column)} = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            return None
        # The database's values as the ORM would hand them to from_db (converters applied).
        fields = user_model._meta.concrete_fields
        out = []
        for field, value in zip(fields, row, strict=True):
            col = field.get_col(user_model._meta.db_table)
            for conv in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
                value = conv(value, col, connection)
            out.append(value)
        return dict(zip(_user_fields(user_model), out, strict=True))


@functools.cache
def _token_models() -> tuple:
    """(user model, token model, the database alias they are read from, the users'
    generation name) — settings and models that do not change while a process runs."""
    from django.contrib.auth import get_user_model
    from django.db import router
    from rest_framework.authtoken.models import Token

    from wangge.accounts.models import USERS_GENERATION

    user_model = get_user_model()
    return user_model, Token, router.db_for_read(user_model), USERS_GENERATION


def _user_fields(user_model) -> list[str]:
    return [f.attname for f in user_model._meta.concrete_fields]
