from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

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


def audit_many(rows: list[dict]) -> list[AuditEntry]:
    """Write several audit rows in one statement; each row takes audit()'s keyword arguments
    (actor, verb, obj or object_type/object_id, data). Call inside the service's transaction."""
    now = timezone.now()
    entries = []
    for row in rows:
        obj = row.get("obj")
        actor = row.get("actor")
        entries.append(
            AuditEntry(
                created_at=now,
                actor=actor if (actor is not None and getattr(actor, "pk", None)) else None,
                verb=row["verb"],
                object_type=row.get("object_type") or (obj._meta.label_lower if obj else ""),
                object_id=str(obj.pk if obj is not None else row.get("object_id", "")),
                object_repr=str(obj)[:200] if obj is not None else "",
                data=row.get("data") or {},
            )
        )
    from .bulk import insert

    return insert(entries)
