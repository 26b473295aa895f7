"""Writes of the scoring app: ledger entries (automatic, manual, reversing), point rules,
assessments and their re-opening, the talks of the admonishment list, bundle links.

Decisions (documented for the users in the README paragraph):
- Caps: an entry beyond its rule's cap for the period is still written — so that every source
  stays traceable and a replay finds it — but with the points that were left under the cap
  (often 0) and a note saying so.
- Closed periods: once a month is assessed (ClosedPeriod), an entry for a day in it (a late
  event, a recount, a correction) is booked on today's date, in the open period, with a note
  naming the day it belongs to. A final assessment is never rewritten by the periodic task; it
  is recomputed only after `assessment_reopen` (with a reason, audited).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.choices import Capability, Role
from wangge.accounts.selectors import user_scope
from wangge.core.audit import audit
from wangge.core.errors import DomainError, NotFound, PermissionDenied, TransitionNotAllowed

from . import rules as R
from .choices import AssessmentState, BundleKind, PeriodKind, SubjectKind, Trigger
from .models import (
    Admonishment,
    Assessment,
    AssessmentSettings,
    BundleLink,
    ClosedPeriod,
    PointEntry,
    PointRule,
)
from .triggers import Hit

ZERO = Decimal("0")
REVERSAL_SOURCE = "scoring.pointentry"
# The people assessed even when they have no entry in a period.
ASSESSED_ROLES = (
    Role.GRID_WORKER,
    Role.GRID_WORKER_PART,
    Role.VILLAGE_GRID_CHIEF,
    Role.TOWN_GRID_CHIEF,
    Role.STATIONED_CADRE,
    Role.ELDER,
)


def _clean_reason(reason) -> str:
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise DomainError(_("Give a reason."), field="reason")
    if len(reason) > 300:
        raise DomainError(_("The reason is too long (300 characters at most)."), field="reason")
    if "\x00" in reason:
        raise DomainError(_("The reason contains a NUL character."), field="reason")
    return reason


def _require(actor, capability: str, path: str) -> None:
    if actor is None:
        return
    if not user_scope(actor, capability).covers(path):
        raise PermissionDenied(_("You may not manage points for this area."))


def _user_name(user) -> str:
    return (getattr(user, "full_name", "") or getattr(user, "username", "") or "")[:100]


# --------------------------------------------------------------------------- names


class Directory:
    """Names and village ids for hits, looked up in bulk and cached."""

    def __init__(self):
        self.users: dict[int, str] = {}
        self.members: dict[int, str] = {}
        self.branches: dict[int, str] = {}
        self.villages: dict[str, tuple[int, str]] = {}

    def load(self, hits: list[Hit]) -> None:
        from wangge.accounts.models import User
        from wangge.areas.models import Area
        from wangge.party.models import PartyMember, PartyOrg

        need = defaultdict(set)
        for h in hits:
            if h.kind == SubjectKind.VILLAGE:
                if h.area_path not in self.villages:
                    need["v"].add(h.area_path)
            elif h.kind == SubjectKind.USER and h.subject_id not in self.users:
                need["u"].add(h.subject_id)
            elif h.kind == SubjectKind.MEMBER and h.subject_id not in self.members:
                need["m"].add(h.subject_id)
            elif h.kind == SubjectKind.BRANCH and h.subject_id not in self.branches:
                need["b"].add(h.subject_id)
        for chunk in _chunks(need["u"]):
            for pk, full, username in User.objects.filter(pk__in=chunk).values_list(
                "pk", "full_name", "username"
            ):
                self.users[pk] = (full or username)[:100]
        for chunk in _chunks(need["m"]):
            self.members.update(PartyMember.objects.filter(pk__in=chunk).values_list("pk", "name"))
        for chunk in _chunks(need["b"]):
            self.branches.update(PartyOrg.objects.filter(pk__in=chunk).values_list("pk", "name"))
        for chunk in _chunks(need["v"]):
            for pk, path, name in Area.objects.filter(path__in=chunk).values_list(
                "pk", "path", "name"
            ):
                self.villages[path] = (pk, name)

    def subject(self, h: Hit) -> tuple[int | None, str | None]:
        """(subject id, name), or (None, None) when the subject no longer exists."""
        if h.kind == SubjectKind.VILLAGE:
            return self.villages.get(h.area_path, (None, None))
        table = {
            SubjectKind.USER: self.users,
            SubjectKind.MEMBER: self.members,
            SubjectKind.BRANCH: self.branches,
        }[h.kind]
        name = table.get(h.subject_id)
        return (h.subject_id, name) if name is not None else (None, None)


def _chunks(values, size=900):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


# --------------------------------------------------------------------------- booking and caps


def closed_months() -> set[dt.date]:
    return set(ClosedPeriod.objects.values_list("month", flat=True))


def booking_day(day: dt.date, closed: set[dt.date] | None = None, today=None) -> dt.date:
    """The day an entry is booked on: its own, or today when its month is already assessed."""
    closed = closed_months() if closed is None else closed
    if R.month_start(day) in closed:
        return today or timezone.localdate()
    return day


class CapTracker:
    """Running sums of capped rules per subject and cap period, loaded from the ledger."""

    def __init__(self, rules: Iterable[PointRule], subjects: set | None = None):
        self.rules = {r.pk: r for r in rules if r.cap is not None and r.cap_period}
        self.sums: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        if not self.rules:
            return
        qs = PointEntry.objects.filter(rule_id__in=list(self.rules))
        if subjects is not None:
            ids = {s[1] for s in subjects}
            if len(ids) <= 900:
                qs = qs.filter(subject_id__in=ids)
        rows = (
            qs.values("rule_id", "subject_kind", "subject_id", "year", "month")
            .annotate(total=Sum("points"))
            .order_by()
        )
        for row in rows:
            rule = self.rules[row["rule_id"]]
            day = dt.date(row["year"], row["month"], 1)
            key = self._key(rule, row["subject_kind"], row["subject_id"], day)
            self.sums[key] += row["total"] or ZERO

    @staticmethod
    def _key(rule, kind, subject_id, day) -> tuple:
        return (rule.pk, kind, subject_id, R.cap_bounds(rule.cap_period, day)[0])

    def apply(self, rule: PointRule, kind, subject_id, day, points: Decimal):
        """(points to write, note)."""
        if rule.pk not in self.rules:
            return points, ""
        key = self._key(rule, kind, subject_id, day)
        used = abs(self.sums[key])
        left = max(rule.cap - used, ZERO)
        if abs(points) <= left:
            self.sums[key] += points
            return points, ""
        allowed = left if points > 0 else -left
        self.sums[key] += allowed
        note = _("Cap of %(cap)s points per period reached: %(n)s counted.") % {
            "cap": rule.cap,
            "n": allowed,
        }
        return allowed, note


# --------------------------------------------------------------------------- automatic entries


def _auto_rules(events: set[str]) -> dict[str, list[PointRule]]:
    out: dict[str, list[PointRule]] = defaultdict(list)
    for rule in PointRule.objects.filter(
        trigger=Trigger.AUTOMATIC, is_active=True, event__in=events
    ).order_by("pk"):
        out[rule.event].append(rule)
    return out


class Planned:
    """An entry to write (the fields of PointEntry), lighter than a model instance when a
    backfill plans hundreds of thousands."""

    __slots__ = (
        "rule",
        "subject_kind",
        "subject_id",
        "subject_name",
        "area_path",
        "day",
        "event_day",
        "points",
        "source_type",
        "source_id",
        "reason",
        "note",
    )

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    def as_entry(self, now) -> PointEntry:
        e = PointEntry(
            rule=self.rule, created_at=now, **{k: getattr(self, k) for k in self.__slots__[1:]}
        )
        e.set_period()
        return e


def plan_entries(
    hits: list[Hit],
    *,
    directory: Directory | None = None,
    existing: set | None = None,
    today: dt.date | None = None,
) -> list[Planned]:
    """The ledger entries the hits call for that are not written yet, with the booking day
    and the caps applied in the order of the days."""
    if not hits:
        return []
    rules = _auto_rules({h.event for h in hits})
    if not rules:
        return []
    directory = directory or Directory()
    directory.load(hits)
    closed = {(d.year, d.month) for d in closed_months()}
    today = today or timezone.localdate()
    if existing is None:
        existing = set()
        sources = defaultdict(set)
        for h in hits:
            sources[h.source_type].add(h.source_id)
        for stype, ids in sources.items():
            for chunk in _chunks(ids):
                existing.update(
                    PointEntry.objects.filter(
                        source_type=stype,
                        source_id__in=chunk,
                        rule_id__in=[r.pk for rs in rules.values() for r in rs],
                    ).values_list(
                        "rule_id", "subject_kind", "subject_id", "source_type", "source_id"
                    )
                )
    planned = []
    seen = set()
    for h in hits:
        for rule in rules.get(h.event, ()):
            if rule.subject_kind != h.kind:
                continue
            subject_id, name = directory.subject(h)
            if subject_id is None:
                continue
            key = (rule.pk, h.kind, subject_id, h.source_type, h.source_id)
            if key in existing or key in seen:
                continue
            seen.add(key)
            day = today if (h.day.year, h.day.month) in closed else h.day
            planned.append((day, h, rule, subject_id, name))
    if not planned:
        return []
    planned.sort(key=lambda p: (p[0], p[1].source_id))
    caps = CapTracker(
        {p[2] for p in planned},
        subjects={(p[1].kind, p[3]) for p in planned} if len(planned) < 500 else None,
    )
    out = []
    late_text = None
    for day, h, rule, subject_id, name in planned:
        points, note = caps.apply(rule, h.kind, subject_id, day, rule.points)
        if day != h.day:
            late_text = late_text or _("Late entry for %(d)s (that month is already assessed).")
            note = f"{late_text % {'d': h.day.isoformat()}} {note}".strip()
        out.append(
            Planned(
                rule=rule,
                subject_kind=h.kind,
                subject_id=subject_id,
                subject_name=(name or "")[:100],
                area_path=h.area_path,
                day=day,
                event_day=h.day,
                points=points,
                source_type=h.source_type,
                source_id=h.source_id,
                reason=h.reason[:300],
                note=note[:300],
            )
        )
    return out


def write_planned(planned: list[Planned]) -> int:
    """Insert planned entries; a row whose (rule, subject, source) key exists already is
    skipped by the database (ON CONFLICT DO NOTHING), so a concurrent writer cannot double it.
    Many rows go through one parameterised INSERT run with executemany (the demo's backfill)."""
    if not planned:
        return 0
    now = timezone.now()
    if len(planned) < 500:
        PointEntry.objects.bulk_create([p.as_entry(now) for p in planned], ignore_conflicts=True)
        return len(planned)
    ops = connection.ops
    columns = [
        "rule_id",
        "subject_kind",
        "subject_id",
        "subject_name",
        "area_path",
        "day",
        "year",
        "quarter",
        "month",
        "event_day",
        "points",
        "source_type",
        "source_id",
        "reason",
        "note",
        "created_at",
    ]
    qn = ops.quote_name
    sql = "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT DO NOTHING" % (
        qn(PointEntry._meta.db_table),
        ", ".join(qn(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    created = ops.adapt_datetimefield_value(now)
    dates: dict = {}

    def d(value):
        if value not in dates:
            dates[value] = ops.adapt_datefield_value(value)
        return dates[value]

    points_field = PointEntry._meta.get_field("points")
    rows = [
        (
            p.rule.pk,
            p.subject_kind,
            p.subject_id,
            p.subject_name,
            p.area_path,
            d(p.day),
            p.day.year,
            (p.day.month - 1) // 3 + 1,
            p.day.month,
            d(p.event_day),
            ops.adapt_decimalfield_value(p.points, points_field.max_digits, 1),
            p.source_type,
            p.source_id,
            p.reason,
            p.note,
            created,
        )
        for p in planned
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])
    return len(rows)


def record_hits(hits: list[Hit]) -> int:
    """Write the entries the hits call for, at most once per (rule, subject, source): an event
    announced twice writes nothing new. Returns how many were written."""
    return write_planned(plan_entries(list(hits)))


# --------------------------------------------------------------------------- manual entries


def subject_lookup(kind: str, subject_id) -> tuple[str, str]:
    """(name, area path) of a subject; NotFound when it does not exist."""
    from wangge.accounts.models import Post, User
    from wangge.areas.models import Area
    from wangge.party.models import PartyMember, PartyOrg

    try:
        subject_id = int(subject_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such subject.")) from None
    if kind == SubjectKind.USER:
        user = User.objects.filter(pk=subject_id).first()
        path = (
            Post.objects.active()
            .filter(user_id=subject_id)
            .order_by("area__path")
            .values_list("area__path", flat=True)
            .first()
        )
        if user is None or path is None:
            raise NotFound(_("No such person with a post."))
        return _user_name(user), path
    if kind == SubjectKind.MEMBER:
        row = PartyMember.objects.filter(pk=subject_id).values_list("name", "area_path").first()
    elif kind == SubjectKind.VILLAGE:
        row = (
            Area.objects.filter(pk=subject_id, level="village").values_list("name", "path").first()
        )
    elif kind == SubjectKind.BRANCH:
        row = PartyOrg.objects.filter(pk=subject_id).values_list("name", "area_path").first()
    else:
        raise DomainError(_("Unknown kind of subject."), field="subject_kind")
    if row is None:
        raise NotFound(_("No such subject."))
    return row[0], row[1]


@transaction.atomic
def entry_create_manual(
    *, actor, rule: PointRule, subject_id: int, reason: str, day: dt.date | None = None
) -> PointEntry:
    """A manual entry 手工记分 (commendation 表扬, admonishment 约谈 …) under a manual rule; the
    reason is required. The rule's cap applies like for automatic entries."""
    reason = _clean_reason(reason)
    if rule.trigger != Trigger.MANUAL:
        raise DomainError(_("Only a manual rule can be used for a manual entry."), field="rule")
    if not rule.is_active:
        raise DomainError(_("This rule is not active."), field="rule")
    name, path = subject_lookup(rule.subject_kind, subject_id)
    _require(actor, Capability.MANAGE_POINTS, path)
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise DomainError(_("An entry cannot be dated in the future."), field="day")
    booked = booking_day(day, today=today)
    caps = CapTracker([rule], subjects={(rule.subject_kind, int(subject_id))})
    points, note = caps.apply(rule, rule.subject_kind, int(subject_id), booked, rule.points)
    if booked != day:
        late = _("Late entry for %(d)s (that month is already assessed).") % {"d": day.isoformat()}
        note = f"{late} {note}".strip()
    entry = PointEntry.objects.create(
        rule=rule,
        subject_kind=rule.subject_kind,
        subject_id=int(subject_id),
        subject_name=name,
        area_path=path,
        day=booked,
        event_day=day,
        points=points,
        reason=reason,
        note=note[:300],
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit(actor=actor, verb="scoring.entry.manual", obj=entry, data={"points": str(points)})
    return entry


@transaction.atomic
def entry_reverse(*, actor, entry: PointEntry, reason: str) -> PointEntry:
    """Correct an entry by a reversing entry 冲正 with the opposite points and a reason. An entry
    is reversed at most once; a reversing entry is not reversed again (write a new entry)."""
    reason = _clean_reason(reason)
    entry = PointEntry.objects.select_for_update().get(pk=entry.pk)
    _require(actor, Capability.MANAGE_POINTS, entry.area_path)
    if entry.reverses_id is not None:
        raise TransitionNotAllowed(_("A reversing entry cannot itself be reversed."))
    if PointEntry.objects.filter(reverses=entry).exists():
        raise TransitionNotAllowed(_("This entry has already been reversed."))
    today = timezone.localdate()
    booked = booking_day(entry.day, today=today)
    note = ""
    if booked != entry.day:
        note = _("The entry's month is already assessed: reversed in the open period.")
    reversal = PointEntry.objects.create(
        rule=entry.rule,
        subject_kind=entry.subject_kind,
        subject_id=entry.subject_id,
        subject_name=entry.subject_name,
        area_path=entry.area_path,
        day=booked,
        event_day=entry.event_day,
        points=-entry.points,
        source_type=REVERSAL_SOURCE,
        source_id=entry.pk,
        reverses=entry,
        reason=reason,
        note=note,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit(actor=actor, verb="scoring.entry.reverse", obj=reversal, data={"reverses": entry.pk})
    return reversal


# --------------------------------------------------------------------------- rules


def require_rule_manager(actor) -> None:
    """Rules hold for the whole county: a MANAGE_POINTS post on the county (or superuser)."""
    if actor is None:
        return
    scope = user_scope(actor, Capability.MANAGE_POINTS)
    if not (scope.is_global or any(len(p) <= 4 for p in scope.paths or ())):
        raise PermissionDenied(_("Only the county may change the point rules."))


RULE_FIELDS = (
    "name",
    "subject_kind",
    "points",
    "trigger",
    "event",
    "cap_period",
    "cap",
    "is_active",
    "description",
)


def _check_rule(rule: PointRule) -> None:
    from .choices import EVENT_LABELS, CapPeriod

    rule.name = (rule.name or "").strip()
    if not rule.name:
        raise DomainError(_("Give the rule a name."), field="name")
    if rule.subject_kind not in SubjectKind.values:
        raise DomainError(_("Unknown kind of subject."), field="subject_kind")
    if rule.trigger == Trigger.MANUAL:
        rule.event = ""
    elif rule.trigger == Trigger.AUTOMATIC:
        if rule.event not in EVENT_LABELS:
            raise DomainError(_("Choose the event of an automatic rule."), field="event")
    else:
        raise DomainError(_("Choose automatic or manual."), field="trigger")
    if rule.cap_period not in CapPeriod.values:
        raise DomainError(_("Unknown cap period."), field="cap_period")
    if rule.points is None or abs(Decimal(rule.points)) > 1000:
        raise DomainError(_("Points must be between -1000 and 1000."), field="points")
    if rule.cap is not None and rule.cap < 0:
        raise DomainError(_("A cap cannot be negative."), field="cap")
    if bool(rule.cap_period) != (rule.cap is not None):
        raise DomainError(_("Give both the cap and its period, or neither."), field="cap")


@transaction.atomic
def rule_create(*, actor, code: str, **fields) -> PointRule:
    require_rule_manager(actor)
    code = (code or "").strip()
    if not code:
        raise DomainError(_("Give the rule a code."), field="code")
    if PointRule.objects.filter(code=code).exists():
        raise DomainError(_("A rule with this code exists already."), field="code")
    rule = PointRule(code=code, **{k: v for k, v in fields.items() if k in RULE_FIELDS})
    _check_rule(rule)
    rule.save()
    audit(actor=actor, verb="scoring.rule.create", obj=rule)
    return rule


@transaction.atomic
def rule_update(*, actor, rule: PointRule, **fields) -> PointRule:
    """Change a rule. Entries already written keep their points (a rule change is never
    retroactive); a rule with entries keeps its subject kind and trigger."""
    require_rule_manager(actor)
    rule = PointRule.objects.select_for_update().get(pk=rule.pk)
    before = {k: str(getattr(rule, k)) for k in RULE_FIELDS}
    for k, v in fields.items():
        if k in RULE_FIELDS:
            setattr(rule, k, v)
    if rule.entries.exists() and (
        rule.subject_kind != before["subject_kind"] or rule.trigger != before["trigger"]
    ):
        raise DomainError(
            _("This rule has entries: its subject and trigger cannot change."),
            field="subject_kind",
        )
    _check_rule(rule)
    rule.save()
    after = {k: str(getattr(rule, k)) for k in RULE_FIELDS}
    audit(
        actor=actor,
        verb="scoring.rule.update",
        obj=rule,
        data={k: [before[k], after[k]] for k in RULE_FIELDS if before[k] != after[k]},
    )
    return rule


# --------------------------------------------------------------------------- assessments


def _entry_sums(start: dt.date, end: dt.date) -> dict[tuple[str, int], dict]:
    rows = (
        PointEntry.objects.filter(day__gte=start, day__lte=end)
        .values("subject_kind", "subject_id")
        .annotate(
            total=Sum("points"), n=Count("id"), name=Max("subject_name"), path=Max("area_path")
        )
        .order_by()
    )
    return {(r["subject_kind"], r["subject_id"]): r for r in rows}


def compute_assessments(kind: str, start: dt.date, end: dt.date) -> dict[tuple, Assessment]:
    """Unsaved assessments of every subject for the period: base + the period's entries +
    the bundled shares. Subjects: everyone with an entry, every village, every person holding
    an assessed post (grid workers, chiefs, 驻村点长, 五老) and every bundle-linked person."""
    from wangge.accounts.models import Post
    from wangge.areas.models import Area

    conf = AssessmentSettings.get()
    sums = _entry_sums(start, end)
    roles: dict[int, set] = defaultdict(set)
    user_paths: dict[int, str] = {}
    user_names: dict[int, str] = {}
    for uid, role, path, full, username in (
        Post.objects.active(end)
        .filter(role__in=ASSESSED_ROLES)
        .values_list("user_id", "role", "area__path", "user__full_name", "user__username")
    ):
        roles[uid].add(role)
        if uid not in user_paths or len(path) < len(user_paths[uid]):
            user_paths[uid] = path
        user_names[uid] = full or username
    villages = {
        pk: (name, path)
        for pk, name, path in Area.objects.filter(level="village", is_active=True).values_list(
            "pk", "name", "path"
        )
    }
    links = list(
        BundleLink.objects.filter(is_active=True).values_list(
            "village_id", "village__name", "user_id", "kind", "area_path"
        )
    )
    out: dict[tuple, Assessment] = {}

    def get(skind, sid, name, path):
        key = (skind, sid)
        if key not in out:
            row = sums.get(key)
            out[key] = Assessment(
                period_kind=kind,
                start=start,
                end=end,
                subject_kind=skind,
                subject_id=sid,
                subject_name=((row and row["name"]) or name or "")[:100],
                area_path=path or (row and row["path"]) or "",
                base=conf.base_score,
                points=(row and row["total"]) or ZERO,
                entry_count=(row and row["n"]) or 0,
                bundled=ZERO,
                bundle_detail=[],
            )
        return out[key]

    for (skind, sid), row in sums.items():
        path = user_paths.get(sid) if skind == SubjectKind.USER else None
        get(skind, sid, row["name"], path or row["path"])
    for uid, path in user_paths.items():
        get(SubjectKind.USER, uid, user_names.get(uid), path)
    for vid, (name, path) in villages.items():
        get(SubjectKind.VILLAGE, vid, name, path)
    if links:
        from wangge.accounts.models import User

        names = dict(
            (pk, full or username)
            for pk, full, username in User.objects.filter(
                pk__in={link[2] for link in links}
            ).values_list("pk", "full_name", "username")
        )
        for village_id, village_name, user_id, link_kind, vpath in links:
            village_points = (sums.get((SubjectKind.VILLAGE, village_id)) or {}).get(
                "total"
            ) or ZERO
            share = conf.share(link_kind)
            amount = (village_points * share / 100).quantize(Decimal("0.1"))
            a = get(SubjectKind.USER, user_id, names.get(user_id), user_paths.get(user_id, vpath))
            a.bundled += amount
            a.bundle_detail.append(
                {
                    "village": village_id,
                    "village_name": village_name,
                    "kind": link_kind,
                    "kind_label": str(BundleKind(link_kind).label),
                    "share": str(share),
                    "village_points": str(village_points),
                    "amount": str(amount),
                }
            )
    for (skind, sid), a in out.items():
        a.score = a.base + a.points + a.bundled
        a.below_threshold = a.score < conf.threshold
        if skind == SubjectKind.USER:
            a.roles = ",".join(sorted(roles.get(sid, ())))
    return out


@transaction.atomic
def assess_period(kind: str, start: dt.date, end: dt.date, *, now=None) -> dict[str, int]:
    """Write the assessments of a period that has ended. Final assessments stay as they are;
    re-opened ones are recomputed and made final again; missing ones are created. Those under
    the threshold go on the admonishment list. Safe to run again: it changes nothing."""
    now = now or timezone.now()
    computed = compute_assessments(kind, start, end)
    existing = {
        (a.subject_kind, a.subject_id): a
        for a in Assessment.objects.filter(period_kind=kind, start=start).select_for_update()
    }
    new, updated = [], []
    for key, a in computed.items():
        old = existing.get(key)
        if old is None:
            a.computed_at = now
            new.append(a)
        elif old.state == AssessmentState.REOPENED:
            for f in ("subject_name", "area_path", "base", "points", "bundled", "score"):
                setattr(old, f, getattr(a, f))
            old.entry_count, old.bundle_detail = a.entry_count, a.bundle_detail
            old.below_threshold, old.roles = a.below_threshold, a.roles
            old.state, old.computed_at = AssessmentState.FINAL, now
            updated.append(old)
    Assessment.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    if updated:
        Assessment.objects.bulk_update(
            updated,
            [
                "subject_name",
                "area_path",
                "base",
                "points",
                "bundled",
                "score",
                "entry_count",
                "bundle_detail",
                "below_threshold",
                "roles",
                "state",
                "computed_at",
            ],
            batch_size=1000,
        )
    below = Assessment.objects.filter(
        period_kind=kind, start=start, below_threshold=True, admonishment__isnull=True
    ).values_list("pk", "area_path")
    Admonishment.objects.bulk_create(
        [Admonishment(assessment_id=pk, area_path=path) for pk, path in below],
        batch_size=2000,
        ignore_conflicts=True,
    )
    if kind == PeriodKind.MONTH:
        ClosedPeriod.objects.get_or_create(month=start, defaults={"closed_at": now})
    return {"created": len(new), "recomputed": len(updated)}


def assess_ended_periods(today: dt.date | None = None, months_back: int = 24) -> dict:
    """Assess every period that has ended and is not assessed yet (or has re-opened
    assessments), back to the first entry of the ledger (at most `months_back` months)."""
    today = today or timezone.localdate()
    first = PointEntry.objects.order_by("day").values_list("day", flat=True).first()
    earliest = R.add_months(R.month_start(today), -months_back)
    since = max(first or R.add_months(R.month_start(today), -1), earliest)
    done = defaultdict(int)
    for kind in PeriodKind.values:
        for start, end in R.ended_periods(kind, R.period_bounds(kind, since)[0], today):
            qs = Assessment.objects.filter(period_kind=kind, start=start)
            if qs.exists() and not qs.filter(state=AssessmentState.REOPENED).exists():
                continue
            result = assess_period(kind, start, end)
            done["periods"] += 1
            done["created"] += result["created"]
            done["recomputed"] += result["recomputed"]
    return dict(done)


@transaction.atomic
def assessment_reopen(*, actor, assessment: Assessment, reason: str) -> Assessment:
    """Re-open a final assessment explicitly, with a reason (audited): the next run of the
    periodic task recomputes it from the ledger and the current settings."""
    reason = _clean_reason(reason)
    a = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require(actor, Capability.MANAGE_POINTS, a.area_path)
    if a.state == AssessmentState.REOPENED:
        raise TransitionNotAllowed(_("This assessment is already re-opened."))
    a.state, a.reopen_reason = AssessmentState.REOPENED, reason
    a.save(update_fields=["state", "reopen_reason"])
    audit(
        actor=actor,
        verb="scoring.assessment.reopen",
        obj=a,
        data={"score": str(a.score), "reason": reason},
    )
    return a


@transaction.atomic
def admonishment_record_talk(
    *, actor, admonishment: Admonishment, talked_at, notes: str, follow_up: str = ""
) -> Admonishment:
    """Record the talk 约谈记录: when, by whom (the actor), what was said and the follow-up."""
    adm = Admonishment.objects.select_for_update().get(pk=admonishment.pk)
    _require(actor, Capability.MANAGE_POINTS, adm.area_path)
    notes = (notes or "").strip()
    if not notes:
        raise DomainError(_("Write down what was said in the talk."), field="notes")
    if len(notes) > 4000 or len(follow_up or "") > 2000:
        raise DomainError(_("The text is too long."), field="notes")
    if talked_at is None:
        raise DomainError(_("Give the time of the talk."), field="talked_at")
    if talked_at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError(_("The talk cannot be in the future."), field="talked_at")
    if adm.talked_at is not None:
        raise TransitionNotAllowed(_("The talk has already been recorded."))
    adm.talked_at, adm.talked_by = talked_at, actor if getattr(actor, "pk", None) else None
    adm.notes, adm.follow_up = notes, (follow_up or "").strip()
    adm.save()
    audit(actor=actor, verb="scoring.admonishment.talk", obj=adm)
    return adm


# --------------------------------------------------------------------------- bundle links


@transaction.atomic
def bundle_links_sync(*, actor=None, on: dt.date | None = None) -> int:
    """Create the bundle links the posts call for: each 驻村点长 and village grid chief (the
    village secretary, 书记兼网格长) with their village, each town grid chief with every
    village of the town. Village committee members are linked by hand (bundle_link_create)."""
    from wangge.accounts.models import Post
    from wangge.areas.models import Area

    require_rule_manager(actor)
    posts = Post.objects.active(on).filter(
        role__in=[Role.STATIONED_CADRE, Role.VILLAGE_GRID_CHIEF, Role.TOWN_GRID_CHIEF]
    )
    villages_by_town = defaultdict(list)
    for pk, path in Area.objects.filter(level="village", is_active=True).values_list("pk", "path"):
        villages_by_town[path[:8]].append((pk, path))
    area_paths = dict(Area.objects.filter(level="village").values_list("pk", "path"))
    have = set(BundleLink.objects.values_list("village_id", "user_id", "kind"))
    new = []
    for user_id, role, area_id, area_path in posts.values_list(
        "user_id", "role", "area_id", "area__path"
    ):
        if role == Role.TOWN_GRID_CHIEF:
            targets = [(v, p, BundleKind.TOWN_GRID_CHIEF) for v, p in villages_by_town[area_path]]
        elif area_id in area_paths:
            kind = (
                BundleKind.STATIONED_CADRE if role == Role.STATIONED_CADRE else BundleKind.SECRETARY
            )
            targets = [(area_id, area_path, kind)]
        else:
            targets = []
        for vid, vpath, kind in targets:
            if (vid, user_id, kind) not in have:
                have.add((vid, user_id, kind))
                new.append(BundleLink(village_id=vid, area_path=vpath, user_id=user_id, kind=kind))
    BundleLink.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def bundle_link_create(*, actor, village, user, kind: str) -> BundleLink:
    if kind not in BundleKind.values:
        raise DomainError(_("Unknown kind of link."), field="kind")
    if getattr(village, "level", None) != "village":
        raise DomainError(_("Choose a village."), field="village")
    _require(actor, Capability.MANAGE_POINTS, village.path)
    link, created = BundleLink.objects.get_or_create(
        village=village, user=user, kind=kind, defaults={"area_path": village.path}
    )
    if not created:
        raise DomainError(_("This link exists already."), field="user")
    audit(actor=actor, verb="scoring.bundle.create", obj=link)
    return link


@transaction.atomic
def bundle_link_set_active(*, actor, link: BundleLink, active: bool) -> BundleLink:
    link = BundleLink.objects.select_for_update().get(pk=link.pk)
    _require(actor, Capability.MANAGE_POINTS, link.area_path)
    if link.is_active != bool(active):
        link.is_active = bool(active)
        link.save(update_fields=["is_active"])
        audit(actor=actor, verb="scoring.bundle.active", obj=link, data={"active": link.is_active})
    return link


SETTINGS_FIELDS = (
    "base_score",
    "threshold",
    "share_stationed_cadre",
    "share_secretary",
    "share_town_grid_chief",
    "share_committee",
)


@transaction.atomic
def settings_update(*, actor, **fields) -> AssessmentSettings:
    """Change the base score, the threshold or the bundle shares (the county's business).
    Assessments already final keep their score; re-open them to apply the change."""
    require_rule_manager(actor)
    conf = AssessmentSettings.get()
    conf = AssessmentSettings.objects.select_for_update().get(pk=conf.pk)
    before = {k: str(getattr(conf, k)) for k in SETTINGS_FIELDS}
    for k, v in fields.items():
        if k not in SETTINGS_FIELDS or v is None:
            continue
        v = Decimal(v)
        if k.startswith("share_") and not (0 <= v <= 100):
            raise DomainError(_("A share is a percentage between 0 and 100."), field=k)
        if not k.startswith("share_") and not (0 <= v <= 1000):
            raise DomainError(_("A score must be between 0 and 1000."), field=k)
        setattr(conf, k, v)
    conf.save()
    after = {k: str(getattr(conf, k)) for k in SETTINGS_FIELDS}
    audit(
        actor=actor,
        verb="scoring.settings.update",
        obj=conf,
        data={k: [before[k], after[k]] for k in SETTINGS_FIELDS if before[k] != after[k]},
    )
    return conf
