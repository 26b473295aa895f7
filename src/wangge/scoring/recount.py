"""The recount 积分核对: replay the source records in the database through the same rule
logic as the live handlers, and compare with the ledger.

- missing: an entry the rules call for that is not in the ledger (written by --apply);
- extra: an automatic entry of an active rule whose source no longer calls for it (e.g. a
  case closed on time whose timeline says otherwise); reported, never deleted — correct it
  with a reversing entry;
- orphans: an automatic entry whose source record does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.apps import apps

from . import triggers as T
from .choices import Trigger
from .models import PointEntry, PointRule
from .services import REVERSAL_SOURCE, Directory, _chunks, plan_entries, write_planned


@dataclass
class RecountResult:
    expected: int = 0
    existing: int = 0
    missing: list = field(default_factory=list)  # unsaved PointEntry
    extra: list = field(default_factory=list)  # keys
    orphans: list = field(default_factory=list)  # (entry id, source type, source id)
    written: int = 0

    def summary(self) -> dict:
        return {
            "expected": self.expected,
            "existing": self.existing,
            "missing": len(self.missing),
            "extra": len(self.extra),
            "orphans": len(self.orphans),
            "written": self.written,
        }


def _existing_keys(rule_ids) -> set:
    return set(
        PointEntry.objects.filter(rule_id__in=rule_ids)
        .exclude(source_type=REVERSAL_SOURCE)
        .exclude(source_type="")
        .values_list("rule_id", "subject_kind", "subject_id", "source_type", "source_id")
        .iterator(chunk_size=20000)
    )


def _orphans() -> list:
    out = []
    sources = (
        PointEntry.objects.exclude(source_type="")
        .values_list("source_type", flat=True)
        .distinct()
        .order_by()
    )
    for stype in list(sources):
        label = T.SOURCE_MODELS.get(stype)
        model = None
        if label and T.table_exists(label):
            model = apps.get_model(label)
        rows = list(
            PointEntry.objects.filter(source_type=stype).values_list("pk", "source_id").order_by()
        )
        if model is None:
            out += [(pk, stype, sid) for pk, sid in rows]
            continue
        ids = {sid for _pk, sid in rows}
        found = set()
        for chunk in _chunks(ids, 5000):
            found.update(model._base_manager.filter(pk__in=chunk).values_list("pk", flat=True))
        out += [(pk, stype, sid) for pk, sid in rows if sid not in found]
    return out


def recount(
    *, apply: bool = False, since: dt.date | None = None, today: dt.date | None = None
) -> RecountResult:
    rules = list(PointRule.objects.filter(trigger=Trigger.AUTOMATIC, is_active=True))
    rule_ids = [r.pk for r in rules]
    existing = _existing_keys(rule_ids)
    hits = list(T.all_hits_from_db(since))
    directory = Directory()
    directory.load(hits)
    expected = set()
    by_event = {}
    for r in rules:
        by_event.setdefault(r.event, []).append(r)
    for h in hits:
        for r in by_event.get(h.event, ()):
            if r.subject_kind == h.kind:
                sid, _name = directory.subject(h)
                if sid is not None:
                    expected.add(h.key(r.pk, sid))
    result = RecountResult(expected=len(expected), existing=len(existing))
    result.missing = plan_entries(hits, directory=directory, existing=existing, today=today)
    orphans = _orphans()
    orphan_keys = {(stype, sid) for _pk, stype, sid in orphans}
    result.orphans = orphans
    if since is None:
        result.extra = sorted(k for k in existing - expected if (k[3], k[4]) not in orphan_keys)
    if apply and result.missing:
        result.written = write_planned(result.missing)
    return result


def backfill(*, since: dt.date | None = None, today: dt.date | None = None) -> int:
    """Write every missing automatic entry (the demo's bulk load, a new installation): the
    same hits and rules as the recount, without the orphan and extra checks."""
    rules = list(PointRule.objects.filter(trigger=Trigger.AUTOMATIC, is_active=True))
    existing = _existing_keys([r.pk for r in rules])
    hits = list(T.all_hits_from_db(since))
    return write_planned(plan_entries(hits, existing=existing, today=today))
