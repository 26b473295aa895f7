"""Writes of the case loop 闭环. Every function: keyword-only, actor explicit, one transaction,
the case row locked, the current state checked, a CaseAction and an audit row appended."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import logging
import os
import re
import secrets
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, connections, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from wangge.accounts.models import Department
from wangge.areas import geo
from wangge.areas.choices import AreaLevel
from wangge.areas.geo import validate_point
from wangge.areas.models import Area
from wangge.core import generations, routers
from wangge.core.audit import audit, audit_rows
from wangge.core.bulk import insert, new, one_statement_transaction, prepare
from wangge.core.errors import DomainError, NotFound, PermissionDenied, TransitionNotAllowed
from wangge.core.events import emit

from . import deadlines, permissions, routing
from .choices import (
    LEVEL_ORDER,
    OPEN_STATES,
    PUBLIC_SOURCES,
    AttachmentKind,
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
from .models import (
    Case,
    CaseAction,
    CaseAttachment,
    CaseCounter,
    CaseDailyRollup,
    CaseDurationRollup,
    CaseMonthlyDurationRollup,
    CaseMonthlyRollup,
    Category,
    IntakeReceipt,
    Notification,
    Open311Client,
    _attachment_path,
)
from .notify import notify, prepare_notices, write_notices

logger = logging.getLogger(__name__)

MAX_TEXT = 4000
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 9
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")
DEMO_OPEN311_KEY = "demo-open311"


# ---------------------------------------------------------------------------------------------
# Input cleaning


def clean_text(value, *, field: str, max_length: int = MAX_TEXT, required: bool = False) -> str:
    """Strip HTML tags and surrounding space; refuse (never truncate) text that is too long.
    Templates escape on output as well: the stored text is plain."""
    # (Most of a report's optional texts are empty: no tag stripping for them.)
    text = strip_tags(str(value)).replace("\x00", "").strip() if value else ""
    if required and not text:
        raise DomainError(_("This field is required."), field=field)
    if len(text) > max_length:
        raise DomainError(
            _("This text has %(n)d characters; at most %(max)d are allowed.")
            % {"n": len(text), "max": max_length},
            field=field,
        )
    return text


def clean_phone(phone, *, required: bool = False) -> str:
    phone = re.sub(r"[\s()]", "", str(phone or ""))
    if phone.startswith("+86"):
        phone = phone[3:]
    if not phone:
        if required:
            raise DomainError(_("A phone number is required to report a case."), field="phone")
        return ""
    if not PHONE_RE.match(phone):
        raise DomainError(_("This is not a valid phone number."), field="phone")
    return phone


def sniff_image(head: bytes) -> str | None:
    """The image type from the file's magic bytes: JPEG, PNG or WebP, else None."""
    if head[:3] == b"\xff\xd8\xff":
        return AttachmentKind.JPEG
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return AttachmentKind.PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return AttachmentKind.WEBP
    return None


def _read_photo(photo) -> tuple[bytes, str]:
    size = getattr(photo, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise DomainError(
            _("A photo may be at most 5 MB; this one has %(mb).1f MB.")
            % {"mb": size / 1024 / 1024},
            field="photos",
        )
    if isinstance(photo, bytes | bytearray):
        data = bytes(photo)
    else:
        if hasattr(photo, "seek"):
            photo.seek(0)
        data = photo.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(_("A photo may be at most 5 MB."), field="photos")
    kind = sniff_image(data[:16])
    if kind is None or not _decodes(data):
        raise DomainError(
            _("Only photos are accepted (JPEG, PNG or WebP); this file is not one."),
            field="photos",
        )
    return data, kind


def _decodes(data: bytes) -> bool:
    """With Pillow installed, the file must also parse as an image; without it the magic bytes
    (checked before) are the test."""
    try:
        from PIL import Image
    except ImportError:
        return True
    import io

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for a broken file
        return False
    return True


def clean_photos(photos: Iterable | None) -> list[tuple[bytes, str]]:
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        raise DomainError(
            _("At most %(n)d photos may be attached.") % {"n": MAX_PHOTOS}, field="photos"
        )
    return [_read_photo(p) for p in photos]


CATEGORY_GENERATION = "cases.categories"


@dataclass(frozen=True)
class _CategoryTable:
    by_code: dict
    by_id: dict


def _category_table(_token: str) -> _CategoryTable:
    cats = list(
        Category.objects.select_related("parent").prefetch_related("limits", "parent__limits")
    )
    return _CategoryTable({c.code: c for c in cats if c.is_active}, {c.pk: c for c in cats})


def categories_changed() -> None:
    """Every process re-reads the categories (signals on Category and CategoryLimit)."""
    generations.changed(CATEGORY_GENERATION)


def active_categories() -> list[Category]:
    """The active categories in their order, with their parents (this process's copy)."""
    return list(generations.cached(CATEGORY_GENERATION, _category_table).by_code.values())


def get_category(category) -> Category:
    """An active category by code, with its time limits (and its parent's) loaded: from this
    process's copy of the small category table (core.generations), read again when an
    administrator changes it."""
    if isinstance(category, Category):
        return category
    code = str(category or "").strip() or "other"
    found = generations.cached(CATEGORY_GENERATION, _category_table).by_code.get(code)
    if found is None and Category.objects.filter(code=code, is_active=True).exists():
        # Added a moment ago by another process, or written without its signal.
        generations.forget(CATEGORY_GENERATION)
        found = generations.cached(CATEGORY_GENERATION, _category_table).by_code.get(code)
    if found is None:
        raise DomainError(
            _("Unknown case category “%(code)s”.") % {"code": code[:40]}, field="category"
        )
    return found


def _category_by_id(pk: int) -> Category | None:
    """A category of an acknowledged report, active or not any more (it was checked when the
    report was received)."""
    found = generations.cached(CATEGORY_GENERATION, _category_table).by_id.get(pk)
    if found is None:
        generations.forget(CATEGORY_GENERATION)
        found = generations.cached(CATEGORY_GENERATION, _category_table).by_id.get(pk)
    return found


def _body_hash(payload: dict) -> str:
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Shared steps


def _now() -> dt.datetime:
    return timezone.now()


def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    try:
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related("category", "grid", "area", "department")
            .get(pk=pk)
        )
    except Case.DoesNotExist:
        raise NotFound(_("No such case."))


def _require_state(case: Case, allowed, action_label: str) -> None:
    if case.state not in allowed:
        raise TransitionNotAllowed(
            _("A case that is %(state)s cannot be %(action)s.")
            % {"state": case.get_state_display(), "action": action_label},
            details={"state": case.state},
        )


def _act(
    case: Case,
    *,
    actor,
    verb: str,
    from_state: str,
    from_level: str = "",
    note: str = "",
    is_public: bool = False,
    data: dict | None = None,
    at: dt.datetime | None = None,
    role: str | None = None,
) -> CaseAction:
    data = dict(data or {})
    data.setdefault("grid", case.grid_id)
    action = CaseAction.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=role if role is not None else permissions.actor_role(actor, case.area_path),
        verb=verb,
        from_state=from_state,
        to_state=case.state,
        from_level=from_level or case.level,
        to_level=case.level,
        note=note,
        is_public=is_public,
        created_at=at or _now(),
        data=data,
    )
    audit(
        actor=actor,
        verb=f"case.{verb}",
        obj=case,
        data={"state": [from_state, case.state], "level": [from_level or case.level, case.level]},
    )
    return action


def _bump(case: Case, **counters: int) -> None:
    """Count a step of a case into the rollups (same transaction as the action it counts): in
    the case's grid (a transfer moves what it counted: _move_counts), on the day the case was
    reported. Every figure of a case belongs to the period it was received in, so that a
    period's rates compare the cases received then with what became of them (resolved, on
    time, visited, satisfied) and never exceed 100% when a backlog from an earlier period is
    cleared."""
    _bump_many([(case, case.reported_at, counters)])


def _bump_many(items: Iterable[tuple[Case, dt.datetime, dict]]) -> None:
    """Add each (case, moment, counters) to its grid's daily rollup and to the monthly rollups
    of the grid and every area above it, summed per row first: a batch of new cases costs one
    UPDATE per table and day (or month), whatever its size."""
    _apply_counts(_count_statements(items))


def _count_statements(items: Iterable[tuple[Case, dt.datetime, dict]]) -> list[tuple]:
    """The statements of _bump_many, built (reads nothing) ahead of the transaction that
    applies them (_apply_counts)."""
    from .kpis import monthly_paths

    daily: dict = defaultdict(lambda: defaultdict(Counter))
    monthly: dict = defaultdict(lambda: defaultdict(Counter))
    grid_paths: dict[int, str] = {}
    zone = timezone.get_default_timezone()
    for case, at, counters in items:
        counters = {k: v for k, v in counters.items() if v}
        if not counters:
            continue
        day = timezone.localdate(at, zone)
        grid_paths[case.grid_id] = case.grid.path
        daily[day][case.grid_id].update(counters)
        for path in monthly_paths(case.grid.path):
            monthly[day.replace(day=1)][path].update(counters)
    statements = []
    for day, rows in daily.items():
        statements.append(
            (
                CaseDailyRollup,
                {"day": day},
                "grid_id",
                rows,
                lambda grid_id: {"area_path": grid_paths[grid_id]},
            )
        )
    for month, rows in monthly.items():
        statements.append(
            (
                CaseMonthlyRollup,
                {"month": month},
                "area_path",
                rows,
                lambda p: {"depth": len(p) // 4},
            )
        )
    return [(*st, _add_counts_sql(*st[:4])) for st in statements]


def _apply_counts(statements: list[tuple]) -> None:
    for model, fixed, key_field, rows, defaults, statement in statements:
        _add_counts(model, fixed, key_field, rows, defaults, statement=statement)


def _add_counts(model, fixed: dict, key_field: str, rows: dict, defaults, statement=None) -> None:
    """Add rows[key] (a Counter) to the row of `model` at fixed + {key_field: key}, for every
    key at once: one UPDATE … SET c = c + CASE key WHEN … END, written out here because the
    ORM spends longer resolving a CASE of a hundred branches than the database spends on the
    whole statement. When some rows are missing (the first figure of a day or a month), that
    UPDATE is undone, the missing rows are inserted empty (a concurrent insert is ignored) and
    the UPDATE is made again: no increment is ever lost or counted twice. `statement`: the
    SQL and its parameters, built earlier by _add_counts_sql."""
    keys = list(rows)
    sql, params = statement or _add_counts_sql(model, fixed, key_field, rows)
    sid = transaction.savepoint()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        updated = cursor.rowcount
    if updated == len(keys):
        transaction.savepoint_commit(sid)
        return
    transaction.savepoint_rollback(sid)
    model.objects.bulk_create(
        [model(**fixed, **{key_field: k}, **defaults(k)) for k in keys], ignore_conflicts=True
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _add_counts_sql(model, fixed: dict, key_field: str, rows: dict) -> tuple[str, list]:
    q = connection.ops.quote_name
    opts = model._meta
    key = opts.get_field(key_field)
    keys = list(rows)
    names = sorted({name for counter in rows.values() for name in counter})
    params: list = []
    sets = []
    for name in names:
        col = q(opts.get_field(name).column)
        values = {k: rows[k][name] for k in keys if rows[k][name]}
        if len(set(values.values())) == 1 and len(values) == len(keys):
            sets.append(f"{col} = {col} + %s")
            params.append(next(iter(values.values())))
        else:
            branches = " ".join(["WHEN %s THEN %s"] * len(values))
            sets.append(f"{col} = {col} + CASE {q(key.column)} {branches} ELSE 0 END")
            for k, v in values.items():
                params += [key.get_db_prep_value(k, connection), v]
    where = []
    for name, value in fixed.items():
        f = opts.get_field(name)
        where.append(f"{q(f.column)} = %s")
        params.append(f.get_db_prep_value(value, connection))
    where.append(f"{q(key.column)} IN ({', '.join(['%s'] * len(keys))})")
    params += [key.get_db_prep_value(k, connection) for k in keys]
    sql = f"UPDATE {q(opts.db_table)} SET {', '.join(sets)} WHERE {' AND '.join(where)}"
    return sql, params


def _bump_duration(case: Case, at: dt.datetime, measure: str) -> None:
    """Count the hours from the report to `at` into the grid's duration histogram (for the
    median response and closure times; see kpis), on the day the case was reported (as
    _bump)."""
    from .kpis import duration_bucket

    hours = (at - case.reported_at).total_seconds() / 3600
    _add_duration(case.grid, case.reported_at, measure, duration_bucket(hours), 1)


def _add_duration(grid: Area, reported_at: dt.datetime, measure: str, bucket: int, n: int):
    """Add n to a bucket of the grid's duration histogram of the report day, and of the
    monthly histograms of the grid and every area above it."""
    from .kpis import monthly_paths

    day = timezone.localdate(reported_at)
    one = Counter({"count": n})
    _add_counts(
        CaseDurationRollup,
        {"day": day, "measure": measure, "bucket": bucket},
        "grid_id",
        {grid.pk: one},
        lambda _grid_id: {"area_path": grid.path},
    )
    _add_counts(
        CaseMonthlyDurationRollup,
        {"month": day.replace(day=1), "measure": measure, "bucket": bucket},
        "area_path",
        {path: one for path in monthly_paths(grid.path)},
        lambda path: {"depth": len(path) // 4},
    )


def _move_counts(case: Case, old_grid: Area) -> None:
    """A case transferred to another grid takes what it has counted so far (its report, its
    response, …, on its report day) from the old grid's rollups to the new grid's: a case's
    figures are its grid's, so that no grid shows more resolutions than cases received."""
    from types import SimpleNamespace

    from .kpis import case_counts

    counts, durations = case_counts(case.pk)
    old = SimpleNamespace(grid_id=old_grid.pk, grid=old_grid)
    at = case.reported_at
    _bump_many([(old, at, {k: -n for k, n in counts.items()}), (case, at, counts)])
    for (measure, bucket), n in durations.items():
        _add_duration(old_grid, at, measure, bucket, -n)
        _add_duration(case.grid, at, measure, bucket, n)


def _can_return_from_update() -> bool:
    if connection.vendor == "postgresql":
        return True
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version_info >= (3, 35)
    return False


def _next_numbers(moments: list[dt.datetime]) -> list[str]:
    """Case numbers (year + six digits) for new cases reported at `moments`, in order: one
    UPDATE per year takes the whole range, and keeps the year's row locked until the
    transaction ends, so that numbers never repeat."""
    zone = timezone.get_default_timezone()
    years = [timezone.localtime(at, zone).year for at in moments]
    last_by_year: dict[int, int] = {}
    for year, n in Counter(years).items():
        last = None
        if _can_return_from_update():
            q = connection.ops.quote_name
            table, last_col, year_col = q(CaseCounter._meta.db_table), q("last"), q("year")
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {last_col} = {last_col} + %s WHERE {year_col} = %s "
                    f"RETURNING {last_col}",
                    [n, year],
                )
                row = cursor.fetchone()
            last = row[0] if row else None
        if last is None:
            _add_counts(CaseCounter, {}, "year", {year: Counter({"last": n})}, lambda _y: {})
            last = CaseCounter.objects.filter(year=year).values_list("last", flat=True).get()
        last_by_year[year] = last - n  # the number before the first one given out here
    numbers = []
    for year in years:
        last_by_year[year] += 1
        numbers.append(f"{year}{last_by_year[year]:06d}")
    return numbers


def _next_number(at: dt.datetime) -> str:
    return _next_numbers([at])[0]


def _new_tracking_code() -> str:
    """The second it is made (8 hex digits) and 16 random characters (96 bits): a repeat is
    as likely as guessing one, and the unique constraint refuses it should it ever happen
    (the request then fails, nothing written). The time first makes new codes sort after
    the old ones, so that the unique indexes of the receipts and the cases take each new
    code at their end, on a page that the codes made a moment before are on, instead of on
    a random page of an index as large as the case table (a random code costs each
    report's receipt and case a page more to write, a seventh of the intake worker's
    time). The time of a report is no secret: its progress page shows it."""
    return tracking_code_at(int(time.time()), secrets.token_bytes(12))


def tracking_code_at(seconds: int, random: bytes) -> str:
    """The tracking code of a report made at `seconds` (Unix time) with 12 random bytes."""
    return f"{seconds:08x}{base64.urlsafe_b64encode(random).decode()}"


@dataclass
class _Place:
    """Where a report is filed: the grid or micro-grid (`area`) and its grid, by id and path
    (the rows themselves when the caller had them)."""

    area_id: int
    area_path: str
    grid_id: int
    area: Area | None = None
    grid: Area | None = None
    lat: float | None = None
    lng: float | None = None


def _resolve_location(*, lat, lng, area, household) -> _Place:
    """The place of a report from a household, a chosen grid or a point (point → grid from
    the index in memory, no query)."""
    lat_f = lng_f = None
    if lat not in (None, "") or lng not in (None, ""):
        lat_f, lng_f = validate_point(lat, lng)
    if household is not None:
        area = household.area
        if lat_f is None and household.lat is not None:
            lat_f, lng_f = household.lat, household.lng
    if area is not None:
        if area.level == AreaLevel.GRID:
            return _Place(area.pk, area.path, area.pk, area, area, lat_f, lng_f)
        if area.level == AreaLevel.MICROGRID:
            return _Place(area.pk, area.path, area.parent_id, area, None, lat_f, lng_f)
        raise DomainError(
            _("Choose a grid: %(name)s is a %(level)s.")
            % {"name": area.name, "level": area.get_level_display()},
            field="area",
        )
    if lat_f is None:
        raise DomainError(
            _("Give the location: share the phone's position or choose the grid."),
            field="location",
        )
    found = geo.locate(lat_f, lng_f)
    return _Place(found.area_id, found.area_path, found.grid_id, lat=lat_f, lng=lng_f)


@dataclass
class _Intake:
    """A report checked and located (by _Report.check), ready to become a case: what the
    synchronous intake passes straight on, and what an acknowledged receipt holds until the
    intake worker routes it."""

    source: str
    actor: object | None  # the staff member who entered it; None for the public
    actor_role: str
    category: Category
    urgency: str
    title: str
    description: str
    place: _Place
    household_id: int | None
    address: str
    reporter_name: str
    reporter_phone: str
    reporter_email: str
    at: dt.datetime
    # Photos as (bytes, kind) to store, or already stored as (name, kind, size, sha256).
    photos: list = field(default_factory=list)
    stored_photos: list = field(default_factory=list)
    idempotency_client: str = ""
    idempotency_key: str = ""
    body_hash: str = ""
    tracking_code: str = field(default_factory=_new_tracking_code)

    def payload(self) -> dict:
        """What a receipt keeps of the report (JSON)."""
        p = self.place
        return {
            "category": self.category.pk,
            "urgency": self.urgency,
            "title": self.title,
            "description": self.description,
            "area": p.area_id,
            "grid": p.grid_id,
            "lat": p.lat,
            "lng": p.lng,
            "household": self.household_id,
            "address": self.address,
            "reporter_name": self.reporter_name,
            "reporter_phone": self.reporter_phone,
            "reporter_email": self.reporter_email,
            "actor_role": self.actor_role,
            "photos": [list(ph) for ph in self.stored_photos],
        }

    @classmethod
    def from_receipt(cls, receipt: IntakeReceipt, *, actor, category) -> _Intake:
        d = receipt.payload
        return cls(
            source=receipt.source,
            actor=actor,
            actor_role=d["actor_role"],
            category=category,
            urgency=d["urgency"],
            title=d["title"],
            description=d["description"],
            place=_Place(d["area"], "", d["grid"], lat=d["lat"], lng=d["lng"]),
            household_id=d["household"],
            address=d["address"],
            reporter_name=d["reporter_name"],
            reporter_phone=d["reporter_phone"],
            reporter_email=d["reporter_email"],
            at=receipt.received_at,
            stored_photos=[tuple(ph) for ph in d.get("photos", [])],
            idempotency_client=receipt.idempotency_client,
            idempotency_key=receipt.idempotency_key or "",
            body_hash=receipt.body_hash,
            tracking_code=receipt.tracking_code,
        )


# ---------------------------------------------------------------------------------------------
# Intake

# (An enum's .values builds a new list on every use.)
_SOURCES = frozenset(Source.values)
_URGENCIES = frozenset(Urgency.values)


@dataclass
class _Report:
    """A report as a channel hands it to case_report or case_receive (their keyword
    arguments), before any check."""

    actor: object
    source: str
    description: str
    title: str
    category: object
    urgency: str | None
    lat: object
    lng: object
    area: Area | None
    household: object
    address: str
    reporter_name: str
    reporter_phone: str
    reporter_email: str
    photos: Iterable | None
    idempotency_client: str
    idempotency_key: str
    at: dt.datetime | None

    def __post_init__(self):
        if self.source not in _SOURCES:
            raise DomainError(_("Unknown source channel."), field="source")
        self.idempotency_key = str(self.idempotency_key or "").strip()[:128]
        self.photos = [p for p in (self.photos or []) if p]
        self.at = self.at or _now()

    @functools.cached_property
    def body_hash(self) -> str:
        """The fingerprint of the request, to tell a retry (same key, same body) from a reuse
        of a key for another report ("" without a key)."""
        if not self.idempotency_key:
            return ""
        return _body_hash(
            {
                "source": self.source,
                "description": str(self.description or "").strip(),
                "title": str(self.title or "").strip(),
                "category": getattr(self.category, "code", self.category) or "",
                "urgency": self.urgency or "",
                "lat": self.lat,
                "lng": self.lng,
                "area": getattr(self.area, "pk", None),
                "household": getattr(self.household, "pk", None),
                "phone": str(self.reporter_phone or "").strip(),
                "photos": len(self.photos),
            }
        )

    def replay(self) -> IntakeReceipt | None:
        """The receipt of an earlier request with this key (see _replay)."""
        if not self.idempotency_key:
            return None
        return _replay(self.idempotency_client, self.idempotency_key, self.body_hash)

    def check(self) -> _Intake:
        """Validate, locate and classify the report, writing nothing: a report that passes
        becomes a case (or a receipt) without any further check that could fail on the
        reporter's input."""
        source = self.source
        description = clean_text(self.description, field="description", required=True)
        title = clean_text(self.title, field="title", max_length=100) or description[:30]
        address = clean_text(self.address, field="address", max_length=200)
        reporter_name = clean_text(self.reporter_name, field="reporter_name", max_length=50)
        reporter_email = clean_text(self.reporter_email, field="email", max_length=254)
        reporter_phone = clean_phone(self.reporter_phone, required=source == Source.QR)
        if source == Source.OPEN311 and not (reporter_phone or reporter_email):
            raise DomainError(
                _("A phone number or an e-mail address is required to report a case."),
                field="phone",
            )
        cat = get_category(self.category)
        urgency = self.urgency or cat.default_urgency
        if urgency not in _URGENCIES:
            raise DomainError(_("Unknown urgency."), field="urgency")
        photo_data = clean_photos(self.photos)
        place = _resolve_location(
            lat=self.lat, lng=self.lng, area=self.area, household=self.household
        )
        staff = self.actor if getattr(self.actor, "pk", None) else None
        if staff is not None and source not in PUBLIC_SOURCES:
            if not permissions.in_scope(staff, place.area_path):
                raise PermissionDenied(_("You have no post covering the grid of this case."))
        return _Intake(
            source=source,
            actor=staff,
            actor_role=permissions.actor_role(staff, place.area_path) if staff else "public",
            category=cat,
            urgency=urgency,
            title=title,
            description=description,
            place=place,
            household_id=getattr(self.household, "pk", None),
            address=address,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            reporter_email=reporter_email,
            at=self.at,
            photos=photo_data,
            idempotency_client=self.idempotency_client,
            idempotency_key=self.idempotency_key,
            body_hash=self.body_hash,
        )


def case_report(
    *,
    actor,
    source: str,
    description: str,
    title: str = "",
    category=None,
    urgency: str | None = None,
    lat=None,
    lng=None,
    area: Area | None = None,
    household=None,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    photos: Iterable | None = None,
    idempotency_client: str = "",
    idempotency_key: str = "",
    at: dt.datetime | None = None,
) -> Case:
    """The intake of every channel, the case made at once: validates, locates, classifies,
    sets deadlines, routes, numbers. With an idempotency key, the same request again returns
    the same case (`case.replayed` is True); the same key with a different body is refused."""
    report = _Report(**locals())  # the keyword arguments above, as given
    existing = report.replay()
    if existing is not None:
        return _case_of(existing)
    intake = report.check()
    if report.idempotency_key and routers.separate():
        # The receipts are in a database of their own: the case is planned (whatever can
        # fail does so before anything is written), the receipt is written (its key is unique
        # there: a concurrent retry gets this receipt instead of a second case), and the case
        # is made of it at once, as the intake worker would.
        writes = _CaseWrites(_plan_cases([intake]))
        receipt = _receive(report, intake)
        if receipt.replayed:
            return _case_of(receipt)
        intake.photos = []  # stored with the receipt (intake.stored_photos, read by the write)
        return _take_in_now(receipt, writes)
    writes = _CaseWrites(_plan_cases([intake]))
    try:
        with transaction.atomic():
            if report.idempotency_key:
                _register([intake], status=ReceiptStatus.DONE)
            return writes.write()[0]
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its case.
        existing = report.replay()
        if existing is not None:
            return _case_of(existing)
        raise


def case_receive(
    *,
    actor,
    source: str,
    description: str,
    title: str = "",
    category=None,
    urgency: str | None = None,
    lat=None,
    lng=None,
    area: Area | None = None,
    household=None,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    photos: Iterable | None = None,
    idempotency_client: str = "",
    idempotency_key: str = "",
    at: dt.datetime | None = None,
) -> IntakeReceipt:
    """The intake acknowledged before it is routed 先受理后分派: the report is checked and
    located exactly as by case_report, and kept as a receipt (its photos stored) in one short
    transaction; the answer is the tracking code. The intake worker (tasks.process_intake,
    asked for when this commits) makes the case, with that code, a moment later. A retry
    with the same key returns the same receipt (`receipt.replayed`); the same key with a
    different body is refused."""
    report = _Report(**locals())  # the keyword arguments above, as given
    try:
        intake = report.check()
    except DomainError:
        # A retry of a report acknowledged earlier is answered with its receipt even if the
        # same input would not pass today (a category withdrawn since, say).
        existing = report.replay()
        if existing is not None:
            return existing
        raise
    return _receive(report, intake)


def _take_in_now(receipt: IntakeReceipt, writes: _CaseWrites) -> Case:
    """The case of a receipt just written in the intake database, made now as planned from
    the checked report at hand (as intake_process would make it from the receipt): the
    synchronous intake when the receipts are in a database of their own."""
    with transaction.atomic():
        # The intake worker (asked for when the receipt committed) may have been quicker.
        case = None if _already_taken_in([receipt]) else writes.write()[0]
    _mark_done([receipt])
    if case is None:
        case = _case_of(receipt)
        case.replayed = False
    return case


def _receipts_db() -> str:
    """The alias of the database of the receipts (wangge.core.routers)."""
    return router.db_for_write(IntakeReceipt)


def _receive(report: _Report, intake: _Intake) -> IntakeReceipt:
    """Keep a checked report as a pending receipt (or return the receipt of an earlier
    request with the same key, `replayed` set)."""
    stored: list[str] = []
    rows = _receipt_rows([intake], status=ReceiptStatus.PENDING)  # before the write lock
    using = _receipts_db()
    try:
        # Without photos the receipt is one insert; with them, the receipt and their names.
        with (
            transaction.atomic(using=using)
            if intake.photos
            else one_statement_transaction(using=using)
        ):
            # The receipt first: a retry fails here, before any photo is stored.
            [receipt] = insert(rows)
            if intake.photos:
                for data, kind in intake.photos:
                    name = default_storage.save(_attachment_path_for(kind), ContentFile(data))
                    stored.append(name)
                    sha = hashlib.sha256(data).hexdigest()
                    intake.stored_photos.append((name, kind, len(data), sha))
                receipt.payload = intake.payload()
                receipt.save(update_fields=["payload"])
    except Exception as exc:
        for name in stored:
            default_storage.delete(name)
        if isinstance(exc, IntegrityError):
            existing = report.replay()
            if existing is not None:
                return existing
        raise
    # After the commit (or the caller's, when this runs inside its transaction).
    transaction.on_commit(request_intake_processing, using=using)
    receipt.replayed = False
    return receipt


def _attachment_path_for(kind: str) -> str:
    return _attachment_path(CaseAttachment(content_type=kind), "photo")


def _register(intakes: list[_Intake], *, status: str) -> list[IntakeReceipt]:
    """Write the receipts of `intakes` (their idempotency keys are unique here)."""
    return insert(_receipt_rows(intakes, status=status))


def _receipt_rows(intakes: list[_Intake], *, status: str):
    """The receipts of `intakes`, converted for core.bulk.insert (ahead of the transaction)."""
    now = _now()
    done = status == ReceiptStatus.DONE
    return prepare(
        [
            new(
                IntakeReceipt,
                tracking_code=i.tracking_code,
                status=status,
                source=i.source,
                received_at=i.at,
                actor=i.actor,
                # A receipt made with its case keeps no copy of the report: the case is the
                # truth.
                payload={} if done else i.payload(),
                idempotency_client=i.idempotency_client,
                idempotency_key=i.idempotency_key or None,
                body_hash=i.body_hash,
                processed_at=now if done else None,
            )
            for i in intakes
        ]
    )


def _replay(client: str, key: str, body_hash: str) -> IntakeReceipt | None:
    """The receipt of an earlier request with this key (`replayed` set), None if there is
    none; a different body under the same key is refused."""
    existing = IntakeReceipt.objects.filter(idempotency_client=client, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.body_hash != body_hash:
        raise DomainError(
            _("This idempotency key was already used for a different request."),
            code="idempotency_conflict",
            field="idempotency_key",
        )
    # The first request may still be flushing its commit (the embedded database flushes after
    # releasing its lock, wangge.core.sqlite3): its retry is answered once the receipt is on
    # disk.
    flush_commits = getattr(connections[_receipts_db()], "flush_commits", None)
    if flush_commits is not None:
        flush_commits()
    existing.replayed = True
    return existing


def _case_of(receipt: IntakeReceipt) -> Case:
    """The case of a receipt (`replayed` set), made now if the worker has not got to it yet:
    a caller waiting for a case never gets a receipt instead."""
    if receipt.status != ReceiptStatus.DONE:
        intake_process(receipt_ids=[receipt.pk])
    case = Case.objects.filter(tracking_code=receipt.tracking_code).first()
    if case is None:
        receipt.refresh_from_db()
        raise DomainError(
            _("This report was received but could not be taken in: %(error)s")
            % {"error": receipt.error or receipt.get_status_display()},
            code="intake_failed",
        )
    case.replayed = True
    return case


INTAKE_BATCH = 200


class _Contended(Exception):
    """Another worker took some of the receipts between reading and claiming them (the
    argument: those of them whose cases exist, to be marked done)."""


def intake_process(*, limit: int = INTAKE_BATCH, receipt_ids: list[int] | None = None) -> int:
    """Take pending receipts into the case loop, oldest first, up to `limit` at once (or
    exactly `receipt_ids`): route, set deadlines, number, write the cases with their tracking
    codes, timelines, audit rows and rollups, tell the handlers. The receipts are read and
    the cases planned outside the transaction; the transaction claims the receipts (a
    receipt another worker claimed meanwhile makes this run start again) and writes. When the
    receipts are in a database of their own (SQLite, wangge.core.routers) the cases are the
    claim: the transaction looks for cases with the receipts' tracking codes before it
    writes, and the receipts are marked after its commit (a worker that stops in between
    leaves them pending, and the next run only marks them). A batch
    that fails is taken apart, so that a bad receipt is marked failed with its reason and the
    others go through. Returns the number of receipts taken in."""
    qs = IntakeReceipt.objects.filter(status=ReceiptStatus.PENDING)
    if receipt_ids is not None:
        qs = qs.filter(pk__in=receipt_ids)
    receipts = list(qs.order_by("id")[:limit])
    if not receipts:
        return 0
    apart = routers.separate()
    try:
        writes = _CaseWrites(_plan_cases(_intakes_of(receipts)))
        with transaction.atomic():
            if apart:
                # The receipts are in another database: the cases are the claim. A receipt
                # whose case exists was taken in by another worker (or by one that stopped
                # before it could mark the receipt); the receipts are marked after the commit.
                taken = _already_taken_in(receipts)
                if taken:
                    raise _Contended(taken)
            elif _mark_done(receipts) != len(receipts):
                raise _Contended([])
            writes.write()
        if apart:
            _mark_done(receipts)
        return len(receipts)
    except _Contended as exc:
        _mark_done(exc.args[0])
        return intake_process(limit=limit, receipt_ids=receipt_ids)
    except Exception:  # noqa: BLE001 - isolated below, the failure is recorded per receipt
        if len(receipts) == 1:
            _mark_failed(receipts[0])
            return 0
    # One at a time: every receipt that can be taken in is, the bad one is marked failed.
    return sum(intake_process(receipt_ids=[r.pk]) for r in receipts)


def _already_taken_in(receipts: list[IntakeReceipt]) -> list[IntakeReceipt]:
    """Those of `receipts` whose cases exist (the claim when the receipts are in a database
    of their own; in the transaction that would write the cases)."""
    codes = set(
        Case.objects.filter(tracking_code__in=[r.tracking_code for r in receipts]).values_list(
            "tracking_code", flat=True
        )
    )
    return [r for r in receipts if r.tracking_code in codes]


def _mark_done(receipts: list[IntakeReceipt]) -> int:
    """Mark pending receipts taken in; the number marked. The receipt keeps no copy of the
    report once its case holds it (as a receipt made with its case): the new row version is
    under half the size, in the table and in the write-ahead log."""
    if not receipts:
        return 0
    return IntakeReceipt.objects.filter(
        pk__in=[r.pk for r in receipts], status=ReceiptStatus.PENDING
    ).update(status=ReceiptStatus.DONE, processed_at=_now(), error="", payload={})


def _intakes_of(receipts: list[IntakeReceipt]) -> list[_Intake]:
    from wangge.accounts.models import User

    actor_ids = {r.actor_id for r in receipts if r.actor_id}
    actors = User.objects.in_bulk(actor_ids) if actor_ids else {}
    intakes = []
    for r in receipts:
        category = _category_by_id(r.payload["category"])
        if category is None:
            raise DomainError(_("The category of this report no longer exists."))
        intakes.append(_Intake.from_receipt(r, actor=actors.get(r.actor_id), category=category))
    return intakes


def _mark_failed(receipt: IntakeReceipt) -> None:
    logger.exception("intake receipt %s failed", receipt.tracking_code)
    IntakeReceipt.objects.filter(pk=receipt.pk).update(
        attempts=F("attempts") + 1,
        status=ReceiptStatus.FAILED,
        error=traceback.format_exc(limit=3)[-2000:],
    )


def intake_retry(*, actor, receipt: IntakeReceipt) -> IntakeReceipt:
    """An administrator sends a failed receipt round again (after fixing what it lacked)."""
    if actor is not None and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only an administrator may retry a receipt."))
    with transaction.atomic(using=_receipts_db()), transaction.atomic():
        receipt = IntakeReceipt.objects.select_for_update().get(pk=receipt.pk)
        if receipt.status != ReceiptStatus.FAILED:
            raise TransitionNotAllowed(_("Only a receipt that failed can be retried."))
        receipt.status = ReceiptStatus.PENDING
        receipt.save(update_fields=["status"])
        audit(actor=actor, verb="case.intake_retry", obj=receipt)
    intake_process(receipt_ids=[receipt.pk])
    receipt.refresh_from_db()
    return receipt


RECEIPT_KEEP_DAYS = int(os.environ.get("WANGGE_RECEIPT_KEEP_DAYS", "90"))


def receipts_prune(*, older_than_days: int = RECEIPT_KEEP_DAYS, now=None) -> int:
    """Delete the receipts of reports taken in more than `older_than_days` ago: their cases
    hold everything, and a phone does not retry after that long. Pending and failed
    receipts are never deleted. Returns how many went."""
    cutoff = (now or _now()) - dt.timedelta(days=older_than_days)
    deleted, _ = IntakeReceipt.objects.filter(
        status=ReceiptStatus.DONE, processed_at__lt=cutoff
    ).delete()
    if deleted:
        audit(
            actor=None,
            verb="case.receipts_pruned",
            object_type="cases.intakereceipt",
            data={"deleted": deleted, "before": cutoff.isoformat()},
        )
    return deleted


def request_intake_processing() -> None:
    """Ask the task worker to take in the pending receipts (after a receipt commits)."""
    from .tasks import enqueue_intake_processing

    enqueue_intake_processing()


def _save_photos(case: Case, action: CaseAction, actor, photo_data) -> list[CaseAttachment]:
    """Store checked photos (see clean_photos) on the action that brought them."""
    saved = []
    for data, kind in photo_data:
        att = CaseAttachment(
            case=case,
            action=action,
            content_type=kind,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=actor,
        )
        att.file.save("photo", ContentFile(data), save=False)
        att.save()
        saved.append(att)
    return saved


def _load_places(intakes: list[_Intake]) -> None:
    """The grid and area rows of the intakes' places, in one query for those not loaded."""
    wanted = set()
    for i in intakes:
        p = i.place
        if p.grid is None:
            wanted.add(p.grid_id)
        if p.area is None:
            wanted.add(p.area_id)
    rows = (
        Area.objects.only(
            "id", "path", "depth", "name", "code", "level", "parent_id", "ab_partner_id"
        ).in_bulk(wanted)
        if wanted
        else {}
    )
    for i in intakes:
        p = i.place
        p.grid = p.grid or rows.get(p.grid_id)
        p.area = p.area or rows.get(p.area_id)
        if p.grid is None or p.area is None:
            raise DomainError(_("The grid of this report no longer exists."), field="location")
        p.area_path = p.area.path


@dataclass
class _Planned:
    """A case ready to be written: its intake, the unsaved row (without its number) and the
    routing decision."""

    intake: _Intake
    case: Case
    assignment: routing.Routed


def _plan_cases(intakes: list[_Intake]) -> list[_Planned]:
    """Route each report (one roster for all) and set its deadlines: reads only, so that the
    intake worker holds the write lock (SQLite has one for the whole database) only for the
    writes."""
    _load_places(intakes)
    roster = routing.Roster.load(
        {i.place.grid.pk: i.place.grid for i in intakes}.values(),
        moments=[i.at for i in intakes],
        levels={i.category.default_level for i in intakes},
    )
    planned = []
    for intake in intakes:
        level = intake.category.default_level
        grid = intake.place.grid
        assignment = roster.route(
            grid=grid, level=level, urgency=intake.urgency, at=intake.at, reporter=intake.actor
        )
        d = deadlines.compute_deadlines(intake.category, intake.urgency, intake.at)
        case = new(
            Case,
            tracking_code=intake.tracking_code,
            category=intake.category,
            urgency=intake.urgency,
            source=intake.source,
            reported_by=intake.actor,
            area=intake.place.area,
            grid=grid,
            area_path=intake.place.area.path,
            state=CaseState.REPORTED,
            level=level,
            handler_id=assignment.handler_id,
            first_responder_id=intake.actor.pk if intake.actor else assignment.handler_id,
            working_time=d.working_time,
            respond_by=d.respond_by,
            resolve_by=d.resolve_by,
            warn_at=d.warn_at,
            reported_at=intake.at,
            title=intake.title,
            description=intake.description,
            lat=intake.place.lat,
            lng=intake.place.lng,
            household_id=intake.household_id,
            address=intake.address,
            reporter_name=intake.reporter_name,
            reporter_phone=intake.reporter_phone,
            reporter_email=intake.reporter_email,
            idempotency_client=intake.idempotency_client,
            idempotency_key=intake.idempotency_key,
            body_hash=intake.body_hash,
        )
        planned.append(_Planned(intake, case, assignment))
    return planned


class _CaseWrites:
    """The rows of planned cases — the cases, their first timeline actions, audit rows,
    rollup increments and the handlers' notifications — converted when this is made, before
    the transaction that writes them (`write`): the intake worker holds the write lock
    (SQLite has one for the whole database) only for the statements. The cases' numbers and
    keys are given out in that transaction and read into the rows that need them."""

    def __init__(self, planned: list[_Planned]):
        self.planned = planned
        self.cases = [p.case for p in planned]
        self.case_rows = prepare(self.cases, late={"number": attrgetter("number")})
        self.actions = [
            new(
                CaseAction,
                case=p.case,
                actor=p.intake.actor,
                actor_role=p.intake.actor_role,
                verb=Verb.REPORT,
                from_state="",
                to_state=p.case.state,
                from_level=p.case.level,
                to_level=p.case.level,
                is_public=True,
                created_at=p.intake.at,
                data={
                    "source": p.intake.source,
                    "routing": p.assignment.reason,
                    "handler": p.assignment.handler_id,
                    "grid": p.case.grid_id,
                },
            )
            for p in planned
        ]
        self.action_rows = prepare(self.actions, late={"case_id": attrgetter("case.pk")})
        self.audit_rows = audit_rows(
            [
                {
                    "actor": p.intake.actor,
                    "verb": f"case.{Verb.REPORT}",
                    "obj": p.case,
                    "data": {"state": ["", p.case.state], "level": [p.case.level, p.case.level]},
                }
                for p in planned
            ]
        )
        self.counts = _count_statements([(c, c.reported_at, {"received": 1}) for c in self.cases])
        self.notices = prepare_notices(
            (p.case, NotificationVerb.ASSIGNED, [p.case.handler_id], p.intake.actor)
            for p in planned
        )

    def write(self) -> list[Case]:
        """Write the rows in the caller's transaction; returns the cases."""
        planned, cases, actions = self.planned, self.cases, self.actions
        for case, number in zip(cases, _next_numbers([c.reported_at for c in cases]), strict=True):
            case.number = number
        insert(self.case_rows)
        insert(self.action_rows)
        insert(self.audit_rows)
        attachments: dict[int, list[CaseAttachment]] = {}
        stored = []
        for p, action in zip(planned, actions, strict=True):
            if p.intake.photos:
                attachments[p.case.pk] = _save_photos(
                    p.case, action, p.intake.actor, p.intake.photos
                )
            for name, kind, size, sha in p.intake.stored_photos:
                stored.append(
                    CaseAttachment(
                        case=p.case,
                        action=action,
                        file=name,
                        content_type=kind,
                        size=size,
                        sha256=sha,
                        uploaded_by=p.intake.actor,
                    )
                )
        for att in CaseAttachment.objects.bulk_create(stored):
            attachments.setdefault(att.case_id, []).append(att)
        _apply_counts(self.counts)
        write_notices(self.notices)
        for case, action in zip(cases, actions, strict=True):
            # The new case's whole timeline and photos, for a caller that shows them at once
            # (the API answers with the case's detail) without reading them back.
            case.new_timeline = ([action], attachments.get(case.pk, []))
            case.replayed = False
        return cases


# ---------------------------------------------------------------------------------------------
# Handling


@transaction.atomic
def case_accept(*, case: Case, actor, note: str = "") -> Case:
    """The handler takes the case on 受理. Counts for the response rate."""
    case = _lock(case)
    _require_state(case, [CaseState.REPORTED], _("accepted"))
    permissions.require_handler(actor, case)
    note = clean_text(note, field="note")
    now = _now()
    from_state = case.state
    case.state = CaseState.ACCEPTED
    case.accepted_at = now
    if case.handler_id is None and actor is not None:
        case.handler = actor
    if case.first_responder_id is None and actor is not None:
        case.first_responder = actor
    case.save()
    on_time = case.respond_by is None or now <= case.respond_by
    _act(
        case,
        actor=actor,
        verb=Verb.ACCEPT,
        from_state=from_state,
        note=note,
        is_public=True,
        data={"on_time": on_time},
        at=now,
    )
    _bump(case, responded=1, responded_on_time=int(on_time))
    _bump_duration(case, now, CaseDurationRollup.Measure.RESPOND)
    return case


def _start_work(case: Case) -> None:
    if case.state == CaseState.ACCEPTED:
        case.state = CaseState.IN_PROGRESS


@transaction.atomic
def case_add_note(*, case: Case, actor, note: str, is_public: bool = False, photos=None) -> Case:
    """A progress note 处置记录 on the timeline; the handler's first note starts the work."""
    case = _lock(case)
    _require_state(case, [*OPEN_STATES, CaseState.RESOLVED], _("annotated"))
    permissions.require(
        permissions.can_handle(actor, case) or permissions.is_department_staff(actor, case)
    )
    note = clean_text(note, field="note", required=True)
    photo_data = clean_photos(photos)
    from_state = case.state
    if actor is not None and actor.pk == case.handler_id:
        _start_work(case)
        case.save()
    action = _act(
        case, actor=actor, verb=Verb.NOTE, from_state=from_state, note=note, is_public=is_public
    )
    _save_photos(case, action, actor, photo_data)
    return case


@transaction.atomic
def case_request_help(*, case: Case, actor, note: str, helpers: Iterable = ()) -> Case:
    """Ask for help 请求协助 (colleagues, 五老, the village team) without handing the case over."""
    case = _lock(case)
    _require_state(case, [CaseState.ACCEPTED, CaseState.IN_PROGRESS], _("helped"))
    permissions.require_handler(actor, case)
    note = clean_text(note, field="note", required=True)
    from_state = case.state
    _start_work(case)
    case.save()
    _act(
        case,
        actor=actor,
        verb=Verb.REQUEST_HELP,
        from_state=from_state,
        note=note,
        data={"helpers": [u.pk for u in helpers]},
    )
    return case


def _escalate(case: Case, *, actor, reason: str, verb: str, now) -> None:
    idx = LEVEL_ORDER.index(Level(case.level))
    if idx + 1 >= len(LEVEL_ORDER):
        raise TransitionNotAllowed(
            _("The case is already at the county level and cannot be escalated further.")
        )
    from_state, from_level = case.state, case.level
    case.level = LEVEL_ORDER[idx + 1]
    chief = routing.level_chief(case.grid, case.level, now)
    case.handler = chief
    case.department = None
    case.department_reported_at = None
    _start_work(case)
    case.save()
    _act(
        case,
        actor=actor,
        verb=verb,
        from_state=from_state,
        from_level=from_level,
        note=reason,
        is_public=True,
        at=now,
        data={"handler": getattr(chief, "pk", None)},
    )
    _bump(case, escalated=1)
    notify(case, NotificationVerb.ESCALATED, [chief], actor=actor)


@transaction.atomic
def case_escalate(*, case: Case, actor, reason: str) -> Case:
    """Hand the case up one level 上报/提级: grid → village → town → county."""
    case = _lock(case)
    _require_state(case, OPEN_STATES, _("escalated"))
    permissions.require_handler(actor, case)
    reason = clean_text(reason, field="reason", required=True)
    _escalate(case, actor=actor, reason=reason, verb=Verb.ESCALATE, now=_now())
    return case


@transaction.atomic
def case_escalate_overdue(*, case_id: int, now: dt.datetime | None = None) -> bool:
    """The deadline sweep: an overdue open case turns red and goes up one level, once per
    overdue period (one resolve_by value). Returns whether anything changed."""
    now = now or _now()
    case = _lock(case_id)
    if case.state not in OPEN_STATES or case.resolve_by is None or case.resolve_by > now:
        return False
    if case.auto_escalated_for == case.resolve_by:
        return False
    # Announced before the escalation moves the case, so listeners see who let it run over.
    emit("case.overdue", case=case, at=now)
    from_state = case.state
    case.warning = WarningLevel.RED
    case.auto_escalated_for = case.resolve_by
    # The handler who let it run over and the first responder hear of it; the new handler
    # gets the escalation notice.
    notify(case, NotificationVerb.OVERDUE, [case.handler_id, case.first_responder_id])
    if case.level != Level.COUNTY:
        _escalate(
            case,
            actor=None,
            reason=_("Overdue: the time limit passed at %(t)s.")
            % {"t": timezone.localtime(case.resolve_by).strftime("%Y-%m-%d %H:%M")},
            verb=Verb.AUTO_ESCALATE,
            now=now,
        )
    else:
        case.save()
        _act(
            case,
            actor=None,
            verb=Verb.WARN,
            from_state=from_state,
            at=now,
            data={"warning": WarningLevel.RED},
        )
    return True


@transaction.atomic
def case_mark_yellow(*, case_id: int, now: dt.datetime | None = None) -> bool:
    now = now or _now()
    case = _lock(case_id)
    if (
        case.state not in OPEN_STATES
        or case.warning != WarningLevel.NORMAL
        or case.warn_at is None
        or case.warn_at > now
    ):
        return False
    case.warning = WarningLevel.YELLOW
    case.save(update_fields=["warning", "updated_at"])
    _act(
        case,
        actor=None,
        verb=Verb.WARN,
        from_state=case.state,
        at=now,
        data={"warning": WarningLevel.YELLOW},
    )
    notify(case, NotificationVerb.DUE_SOON, [case.handler_id])
    return True


@transaction.atomic
def case_dispatch(*, case: Case, actor, department: Department, note: str = "") -> Case:
    """Blow the whistle 吹哨: send the case to a department, which then reports in 报到."""
    case = _lock(case)
    _require_state(case, [CaseState.ACCEPTED, CaseState.IN_PROGRESS], _("dispatched"))
    permissions.require_manager(actor, case)
    if department is None:
        raise DomainError(_("Choose the department."), field="department")
    if case.department_id == department.pk and case.department_reported_at is None:
        raise TransitionNotAllowed(_("The case is already waiting for this department."))
    note = clean_text(note, field="note")
    from_state = case.state
    previous_handler = case.handler_id
    case.department = department
    case.department_reported_at = None
    _start_work(case)
    case.save()
    _act(
        case,
        actor=actor,
        verb=Verb.DISPATCH,
        from_state=from_state,
        note=note,
        is_public=True,
        data={
            "department": department.pk,
            "department_name": department.name,
            "previous_handler": previous_handler,
            "dispatched_by": getattr(actor, "pk", None),
        },
    )
    notify(case, NotificationVerb.DISPATCHED, routing.department_staff(department), actor=actor)
    return case


@transaction.atomic
def case_report_in(*, case: Case, actor, note: str = "") -> Case:
    """The department takes the dispatched case on 报到; its staff member becomes the handler."""
    case = _lock(case)
    _require_state(case, [CaseState.IN_PROGRESS], _("taken on by a department"))
    if case.department_id is None or case.department_reported_at is not None:
        raise TransitionNotAllowed(_("The case is not waiting for a department."))
    permissions.require(
        permissions.is_department_staff(actor, case) or (actor is not None and actor.is_superuser),
        _("Only the staff of the department the case was sent to may report in."),
    )
    note = clean_text(note, field="note")
    now = _now()
    case.department_reported_at = now
    case.handler = actor
    case.save()
    _act(
        case,
        actor=actor,
        verb=Verb.REPORT_IN,
        from_state=case.state,
        note=note,
        is_public=True,
        at=now,
        data={"department_name": case.department.name},
    )
    return case


@transaction.atomic
def case_return_from_department(*, case: Case, actor, reason: str) -> Case:
    """The department sends the case back (not its business, needs more facts) with a reason;
    it goes back to whoever dispatched it."""
    case = _lock(case)
    _require_state(case, [CaseState.IN_PROGRESS], _("returned by a department"))
    if case.department_id is None:
        raise TransitionNotAllowed(_("The case is not with a department."))
    permissions.require(
        permissions.is_department_staff(actor, case)
        or permissions.is_manager(actor, case.area_path),
        _("Only the staff of the department the case was sent to may return it."),
    )
    reason = clean_text(reason, field="reason", required=True)
    dispatch = case.actions.filter(verb=Verb.DISPATCH).order_by("-id").first()
    back_to = None
    if dispatch is not None:
        back_to = dispatch.data.get("dispatched_by") or dispatch.data.get("previous_handler")
    department_name = case.department.name
    case.department = None
    case.department_reported_at = None
    if back_to:
        case.handler_id = back_to
    else:
        case.handler = routing.level_chief(case.grid, case.level)
    case.save()
    _act(
        case,
        actor=actor,
        verb=Verb.RETURN_FROM_DEPARTMENT,
        from_state=case.state,
        note=reason,
        is_public=False,
        data={"department_name": department_name},
    )
    notify(case, NotificationVerb.RETURNED, [case.handler_id], actor=actor)
    return case


@transaction.atomic
def case_transfer(
    *, case: Case, actor, handler=None, grid: Area | None = None, reason: str
) -> Case:
    """Pass the case to another handler or grid 转办. The first responder stays."""
    case = _lock(case)
    _require_state(case, OPEN_STATES, _("transferred"))
    permissions.require_handler(actor, case)
    reason = clean_text(reason, field="reason", required=True)
    if handler is None and grid is None:
        raise DomainError(_("Choose the new handler or the new grid."), field="handler")
    from_state = case.state
    data = {"old_handler": case.handler_id, "old_grid": case.grid_id}
    old_grid = case.grid
    if grid is not None:
        if grid.level != AreaLevel.GRID:
            raise DomainError(_("Choose a grid."), field="grid")
        permissions.require(
            permissions.is_manager(actor, grid.path) or permissions.in_scope(actor, grid.path),
            _("You have no post covering that grid."),
        )
        case.grid = grid
        case.area = grid
        case.area_path = grid.path
        if handler is None:
            handler = routing.route(grid=grid, level=Level.GRID, urgency=case.urgency).handler
    if handler is not None:
        if not permissions.can_view(handler, case) and not handler.is_superuser:
            raise DomainError(
                _("%(name)s holds no post over this case's grid.") % {"name": str(handler)},
                field="handler",
            )
        if handler.pk == case.handler_id and grid is None:
            raise TransitionNotAllowed(_("The case is already with this handler."))
    case.handler = handler
    case.save()
    if case.grid_id != old_grid.pk:
        _move_counts(case, old_grid)
    data.update({"new_handler": getattr(handler, "pk", None), "grid": case.grid_id})
    _act(case, actor=actor, verb=Verb.TRANSFER, from_state=from_state, note=reason, data=data)
    notify(case, NotificationVerb.TRANSFERRED, [case.handler_id], actor=actor)
    return case


@transaction.atomic
def case_merge(*, case: Case, actor, into: Case, note: str = "") -> Case:
    """Close a duplicate 重复件 by merging it into another open case; the reporter's board
    shows where it went."""
    if into is None or into.pk == case.pk:
        raise DomainError(_("Choose another case to merge into."), field="into")
    first, second = sorted([case.pk, into.pk])
    locked = {c.pk: c for c in [_lock(first), _lock(second)]}  # fixed order: no deadlock
    case, into = locked[case.pk], locked[into.pk]
    _require_state(case, OPEN_STATES, _("merged"))
    if into.state not in OPEN_STATES or into.merged_into_id:
        raise TransitionNotAllowed(_("A case can only be merged into an open case."))
    permissions.require_manager(actor, case)
    permissions.require(permissions.can_view(actor, into))
    note = clean_text(note, field="note")
    from_state = case.state
    case.state = CaseState.CLOSED
    case.merged_into = into
    case.closed_at = _now()
    case.save()
    _act(
        case,
        actor=actor,
        verb=Verb.MERGE,
        from_state=from_state,
        note=note,
        is_public=True,
        data={"into": into.pk, "into_number": into.number},
    )
    _act(
        into,
        actor=actor,
        verb=Verb.NOTE,
        from_state=into.state,
        note=_("Duplicate case %(number)s merged into this one.") % {"number": case.number},
        data={"merged": case.pk},
    )
    return case


@transaction.atomic
def case_reject(*, case: Case, actor, reason: str) -> Case:
    """Refuse a case 不予受理 (not a matter for the grid, false report) with a reason that the
    reporter sees."""
    case = _lock(case)
    _require_state(case, OPEN_STATES, _("rejected"))
    permissions.require_manager(actor, case)
    reason = clean_text(reason, field="reason", required=True)
    from_state = case.state
    now = _now()
    case.state = CaseState.REJECTED
    case.closed_at = now
    case.save()
    _act(
        case,
        actor=actor,
        verb=Verb.REJECT,
        from_state=from_state,
        note=reason,
        is_public=True,
        at=now,
    )
    _bump(case, rejected=1)
    return case


@transaction.atomic
def case_resolve(*, case: Case, actor, resolution: str, photos=None) -> Case:
    """The problem is dealt with 办结; it waits for the return visit."""
    case = _lock(case)
    _require_state(case, [CaseState.ACCEPTED, CaseState.IN_PROGRESS], _("resolved"))
    permissions.require_handler(actor, case)
    if case.department_id and case.department_reported_at is None:
        raise TransitionNotAllowed(
            _("The case is waiting for the department to report in; it cannot be resolved.")
        )
    resolution = clean_text(resolution, field="resolution", required=True)
    photo_data = clean_photos(photos)
    now = _now()
    from_state = case.state
    case.state = CaseState.RESOLVED
    case.resolved_at = now
    case.resolution = resolution
    case.settled_level = case.level
    # A resolution after an unsatisfied visit waits for its own visit (the earlier one stays
    # on the timeline): the close needs a satisfied visit of this resolution.
    case.satisfaction, case.return_visited_at = "", None
    case.save()
    on_time = case.resolve_by is None or now <= case.resolve_by
    action = _act(
        case,
        actor=actor,
        verb=Verb.RESOLVE,
        from_state=from_state,
        note=resolution,
        is_public=True,
        at=now,
        data={"on_time": on_time},
    )
    _save_photos(case, action, actor, photo_data)
    _bump(case, resolved=1, resolved_on_time=int(on_time), **{f"settled_{case.level}": 1})
    emit("case.resolved", case=case, actor=actor, at=now, on_time=on_time)
    return case


@transaction.atomic
def case_return_visit(*, case: Case, actor, satisfaction: str, note: str = "") -> Case:
    """Call the reporter back 回访. Done by someone other than the handler and the resolver;
    an unsatisfied answer reopens the case with a new time limit."""
    case = _lock(case)
    _require_state(case, [CaseState.RESOLVED], _("visited back"))
    if case.visited_since_resolved:
        raise TransitionNotAllowed(_("This resolution has already had its return visit."))
    if satisfaction not in Satisfaction.values:
        raise DomainError(_("Choose the reporter's satisfaction."), field="satisfaction")
    resolver = (
        case.actions.filter(verb=Verb.RESOLVE)
        .order_by("-id")
        .values_list("actor_id", flat=True)
        .first()
    )
    if actor is not None and actor.pk in (case.handler_id, resolver):
        raise TransitionNotAllowed(
            _("The return visit must be made by someone other than the handler.")
        )
    permissions.require(
        permissions.in_scope(actor, case.area_path),
        _("You have no post covering this case's grid."),
    )
    note = clean_text(note, field="note")
    now = _now()
    from_state = case.state
    case.satisfaction = satisfaction
    case.return_visited_at = now
    reopened = satisfaction == Satisfaction.UNSATISFIED
    if reopened:
        case.state = CaseState.IN_PROGRESS
        case.resolved_at = None
        case.settled_level = ""
        case.resolve_by, case.warn_at = deadlines.resolve_deadlines(
            case.category, case.urgency, now
        )
        case.warning = WarningLevel.NORMAL
    case.save()
    _act(
        case,
        actor=actor,
        verb=Verb.RETURN_VISIT,
        from_state=from_state,
        note=note,
        is_public=True,
        at=now,
        data={"satisfaction": satisfaction, "reopened": reopened},
    )
    _bump(case, return_visits=1, **{satisfaction: 1})
    emit("case.return_visit", case=case, actor=actor, at=now, satisfaction=satisfaction)
    if reopened:
        notify(
            case,
            NotificationVerb.REOPENED,
            [case.handler_id, case.first_responder_id],
            actor=actor,
        )
    return case


@transaction.atomic
def case_close(*, case: Case, actor, note: str = "") -> Case:
    """Close the loop 结案 after a satisfied (or basically satisfied) return visit."""
    case = _lock(case)
    _require_state(case, [CaseState.RESOLVED], _("closed"))
    if case.satisfaction not in (Satisfaction.SATISFIED, Satisfaction.BASICALLY):
        raise TransitionNotAllowed(_("A case is closed only after a satisfied return visit."))
    permissions.require_manager(actor, case)
    note = clean_text(note, field="note")
    now = _now()
    from_state = case.state
    case.state = CaseState.CLOSED
    case.closed_at = now
    case.save()
    _act(
        case, actor=actor, verb=Verb.CLOSE, from_state=from_state, note=note, is_public=True, at=now
    )
    _bump(case, closed=1)
    _bump_duration(case, now, CaseDurationRollup.Measure.CLOSE)
    emit("case.closed", case=case, actor=actor, at=now)
    return case


@transaction.atomic
def case_rate_public(*, tracking_code: str, satisfaction: str, comment: str = "") -> Case:
    """The reporter rates the outcome on the public board, once, after it is resolved."""
    try:
        pk = Case.objects.only("pk").get(tracking_code=str(tracking_code)).pk
    except Case.DoesNotExist:
        raise NotFound(_("No case has this tracking code."))
    case = _lock(pk)
    if case.merged_into_id or case.state not in (CaseState.RESOLVED, CaseState.CLOSED):
        raise TransitionNotAllowed(_("The case can be rated once it is resolved."))
    if case.public_satisfaction:
        raise TransitionNotAllowed(_("This case has already been rated."))
    if satisfaction not in Satisfaction.values:
        raise DomainError(_("Choose how satisfied you are."), field="satisfaction")
    comment = clean_text(comment, field="comment", max_length=500)
    now = _now()
    case.public_satisfaction = satisfaction
    case.public_rated_at = now
    case.save(update_fields=["public_satisfaction", "public_rated_at", "updated_at"])
    _act(
        case,
        actor=None,
        verb=Verb.RATE_PUBLIC,
        from_state=case.state,
        note=comment,
        is_public=True,
        at=now,
        role="public",
        data={"satisfaction": satisfaction},
    )
    return case


# ---------------------------------------------------------------------------------------------
# Open311 clients


def hash_api_key(key: str) -> str:
    return hashlib.sha256(str(key).encode()).hexdigest()


@transaction.atomic
def open311_client_issue(*, actor, name: str, key: str | None = None) -> tuple[Open311Client, str]:
    """Issue an API key; the key itself is returned once and only its hash is kept."""
    name = clean_text(name, field="name", max_length=100, required=True)
    key = key or secrets.token_urlsafe(24)
    client = Open311Client.objects.create(
        name=name, key_prefix=key[:8], key_hash=hash_api_key(key), issued_by=actor
    )
    audit(actor=actor, verb="open311.client_issue", obj=client)
    return client, key


def open311_client_for_key(key: str | None) -> Open311Client | None:
    if not key:
        return None
    client = Open311Client.objects.filter(key_hash=hash_api_key(key), is_active=True).first()
    if client is not None:
        Open311Client.objects.filter(pk=client.pk).update(last_used_at=_now())
    return client


def ensure_demo_open311_key() -> Open311Client:
    """The demo's Open311 client with the well-known key `demo-open311` (idempotent)."""
    client = Open311Client.objects.filter(key_hash=hash_api_key(DEMO_OPEN311_KEY)).first()
    if client is not None:
        return client
    client, _key = open311_client_issue(actor=None, name="Demo", key=DEMO_OPEN311_KEY)
    return client


# ---------------------------------------------------------------------------------------------
# Notifications


def notification_mark_read(*, user, notification_id) -> Notification:
    """Mark one of the user's own notifications read (idempotent); another user's answers
    NotFound, as if it did not exist."""
    try:
        n = Notification.objects.get(pk=int(notification_id), recipient_id=user.pk)
    except (Notification.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such notification."))
    if n.read_at is None:
        n.read_at = _now()
        Notification.objects.filter(pk=n.pk, read_at__isnull=True).update(read_at=n.read_at)
    return n


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=_now()
    )


# ---------------------------------------------------------------------------------------------
# Set-up


def ensure_default_categories() -> None:
    """Install the default event types (as migration 0002 does) where they are missing: for a
    database that was flushed, e.g. between browser tests."""
    from importlib import import_module

    from django.apps import apps as django_apps

    module = import_module("wangge.cases.migrations.0002_default_categories")
    with transaction.atomic():
        module.add_default_categories(django_apps, None)
        categories_changed()
