"""Base viewsets: read through a selector, write through services (see core.api for the
error format). Import them from here or from wangge.core.api."""

from __future__ import annotations

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from .api import PARSER_CLASSES
from .permissions import CapabilityPermission


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset reading through a selector and writing through services.

    Subclasses implement `get_queryset` with a selector, `object_path(obj)` (the area path
    the write capability is checked on) and, for writes, `perform_service_create(data)` and
    `perform_service_update(instance, data)` which call the services with
    `actor=self.request.user` and return the saved object.
    """

    permission_classes = [*viewsets.GenericViewSet.permission_classes, CapabilityPermission]
    parser_classes = PARSER_CLASSES
    write_capability: str | None = None
    # Input serializers per write action; answers always use `serializer_class`.
    create_serializer_class: type[serializers.Serializer] | None = None
    update_serializer_class: type[serializers.Serializer] | None = None

    def get_serializer_class(self):
        if self.action == "create" and self.create_serializer_class is not None:
            return self.create_serializer_class
        if self.action == "partial_update" and self.update_serializer_class is not None:
            return self.update_serializer_class
        return super().get_serializer_class()

    def get_output_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        return self.serializer_class(*args, **kwargs)

    def object_path(self, obj) -> str:
        return obj.area_path

    def reload(self, instance):
        """The saved object as the list and detail answers show it (with its relations)."""
        return self.get_queryset().filter(pk=instance.pk).first() or instance

    def perform_service_create(self, data: dict):  # pragma: no cover - abstract
        raise NotImplementedError

    def perform_service_update(self, instance, data: dict):  # pragma: no cover - abstract
        raise NotImplementedError


class ServiceCreateMixin:
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_service_create(serializer.validated_data)
        out = self.get_output_serializer(self.reload(instance))
        return Response(out.data, status=status.HTTP_201_CREATED)


class ServiceUpdateMixin:
    """PATCH only: the services take the fields that were sent and leave the others alone."""

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_service_update(instance, serializer.validated_data)
        return Response(self.get_output_serializer(self.reload(instance)).data)


class ReadOnlyScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    pass


class ScopedModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    ScopedViewSet,
):
    http_method_names = ["get", "post", "patch", "head", "options"]
