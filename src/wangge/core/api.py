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

from rest_framework import parsers, serializers

from .rest import JSONParser, Pagination, domain_error_response, exception_handler  # noqa: F401

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
