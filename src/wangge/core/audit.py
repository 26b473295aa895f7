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
    from .bulk import insert

    return insert(audit_rows(rows))


def _subject_id(entry: AuditEntry) -> str:
    return entry.object_id if entry._subject is None else str(entry._subject.pk)


def _subject_repr(entry: AuditEntry) -> str:
    return entry.object_repr if entry._subject is None else str(entry._subject)[:200]


def audit_rows(rows: list[dict]):
    """audit_many's rows converted for core.bulk.insert ahead of the transaction that writes
    them; an `obj` not saved yet (no key) is read for its key and text at write time."""
    from .bulk import new, prepare

    now = timezone.now()
    entries = []
    late = False
    for row in rows:
        obj = row.get("obj")
        actor = row.get("actor")
        entry = new(
            AuditEntry,
            created_at=now,
            actor=actor if (actor is not None and getattr(actor, "pk", None)) else None,
            verb=row["verb"],
            object_type=row.get("object_type") or (obj._meta.label_lower if obj else ""),
            object_id=str(obj.pk if obj is not None else row.get("object_id", "")),
            object_repr=str(obj)[:200] if obj is not None else "",
            data=row.get("data") or {},
        )
        entry._subject = obj
        late = late or (obj is not None and obj.pk is None)
        entries.append(entry)
    if not late:
        return prepare(entries)
    return prepare(entries, late={"object_id": _subject_id, "object_repr": _subject_repr})
