from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEntry


def audit(
    *,
    actor,
    verb: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    data: dict | None = None,
) -> AuditEntry:
    """Write one audit row. Call inside the service's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
        object_repr = str(obj)[:200]
    else:
        object_repr = ""
    return AuditEntry.objects.create(
        actor=actor if (actor is not None and getattr(actor, "pk", None)) else None,
        verb=verb,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr,
        data=data or {},
    )
