"""What each trigger of a rule means: from a domain event (live) or from the records in the
database (recount, backfill), the hits — (trigger, subject, source record, day) — that rules
turn into ledger entries. The live handlers and the recount use the same builders, so a
replay finds exactly the entries the events wrote.

Who gets the points:
- case closed on time 按时办结: the person who resolved it (the last resolution before the
  close, from the timeline), and the village of the case;
- case overdue 超时: the first responder 首问负责人, who follows the case to the end, and the
  village; once per case (the sweep announces once per overdue period);
- unsatisfied return visit 回访不满意: the person whose resolution was rejected, and the
  village; once per case and person;
- needs, meetings: the party member (and for a meeting held, the branch);
- patrols, visits, daily norm missed: the worker; an inspection that found people away from
  their post: the village; a problem crossed off or overdue: its responsible person (and
  the village for an overdue one).

Objects of the fieldwork and supervision apps are read with getattr (duck typing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .choices import SubjectKind

U, M, V, B = SubjectKind.USER, SubjectKind.MEMBER, SubjectKind.VILLAGE, SubjectKind.BRANCH
VILLAGE_PATH_LENGTH = 12  # county, town, village: 3 levels of treebeard steplen 4

CASE = "cases.case"
NEED = "party.need"
MEETING = "party.meeting"
PATROL = "fieldwork.patrol"
VISIT = "fieldwork.visit"
DAY_REPORT = "fieldwork.dailyreport"
INSPECTION = "supervision.inspection"
PROBLEM = "supervision.problem"


@dataclass(frozen=True)
class Hit:
    event: str  # the trigger code of PointRule.event
    kind: str
    subject_id: int | None  # an Area id for a village hit is found later from area_path
    area_path: str
    day: dt.date
    source_type: str
    source_id: int
    reason: str

    def key(self, rule_id: int, subject_id: int) -> tuple:
        return (rule_id, self.kind, subject_id, self.source_type, self.source_id)


def local_day(value, tz=None) -> dt.date:
    if value is None:
        return timezone.localdate()
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.date()
        return value.astimezone(tz or timezone.get_current_timezone()).date()
    return value


def site_gettext(message: str) -> str:
    """The translation in the site's language: the ledger keeps its reasons in it, whoever
    triggered the entry (a web request in English, a task or a command with no language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message)


# The daily norms a missed day names (fieldwork's keys).
NORM_LABELS = {
    "patrols": gettext_noop("patrols"),
    "visit_kinds": gettext_noop("kinds of visit"),
    "tasks": gettext_noop("tasks"),
    "hours": gettext_noop("hours"),
}


class MemoGettext:
    """gettext with a memory, for the hundreds of thousands of hits of a replay."""

    def __init__(self):
        self.done: dict[str, str] = {}

    def __call__(self, message: str) -> str:
        if message not in self.done:
            self.done[message] = site_gettext(message)
        return self.done[message]


def village_path(path: str) -> str | None:
    return path[:VILLAGE_PATH_LENGTH] if path and len(path) >= VILLAGE_PATH_LENGTH else None


def _with_village(hits: list[Hit], event, path, day, source_type, source_id, reason) -> list[Hit]:
    vp = village_path(path)
    if vp:
        hits.append(Hit(event, V, None, vp, day, source_type, source_id, reason))
    return hits


# ------------------------------------------------------------------ builders (plain values)


def case_hits(event: str, case_id, number, path, person_id, day, tr=site_gettext) -> list[Hit]:
    reason = {
        "case.closed_on_time": tr(gettext_noop("Case %(n)s resolved on time and closed")),
        "case.overdue": tr(gettext_noop("Case %(n)s overdue")),
        "case.unsatisfied": tr(gettext_noop("Case %(n)s: unsatisfied return visit")),
    }[event] % {"n": number}
    hits = []
    if person_id:
        hits.append(Hit(event, U, person_id, path, day, CASE, case_id, reason))
    return _with_village(hits, event, path, day, CASE, case_id, reason)


def need_hits(
    event, need_id, member_id, member_path, day, description, tr=site_gettext
) -> list[Hit]:
    if not member_id:
        return []
    label = (
        tr(gettext_noop("Need claimed"))
        if event == "party.need.claimed"
        else tr(gettext_noop("Need fulfilled"))
    )
    reason = f"{label}：{(description or '')[:60]}"
    return [Hit(event, M, member_id, member_path or "", day, NEED, need_id, reason)]


def meeting_hits(meeting_id, org_id, org_path, day, topic, present, tr=site_gettext) -> list[Hit]:
    """present: [(member id, member area path)]."""
    label = tr(gettext_noop("Organisation life"))
    reason = f"{label}：{(topic or '')[:60]}"
    hits = [
        Hit("party.meeting.attended", M, mid, mpath or org_path, day, MEETING, meeting_id, reason)
        for mid, mpath in present
    ]
    hits.append(Hit("party.meeting.held", B, org_id, org_path, day, MEETING, meeting_id, reason))
    return hits


def patrol_hits(patrol_id, worker_id, path, day, tr=site_gettext) -> list[Hit]:
    if not worker_id:
        return []
    reason = tr(gettext_noop("Patrol done on %(d)s")) % {"d": day.isoformat()}
    return [Hit("fieldwork.patrol.finished", U, worker_id, path, day, PATROL, patrol_id, reason)]


def visit_hits(visit_id, visitor_id, path, day, tr=site_gettext) -> list[Hit]:
    if not visitor_id:
        return []
    reason = tr(gettext_noop("Household visit on %(d)s")) % {"d": day.isoformat()}
    return [Hit("fieldwork.visit.recorded", U, visitor_id, path, day, VISIT, visit_id, reason)]


def day_hits(report_id, worker_id, path, day, compliant, missing, tr=site_gettext) -> list[Hit]:
    if compliant is not False or not worker_id:
        return []
    what = (
        "、".join(tr(NORM_LABELS.get(str(k), str(k))) for k in (missing or {}))
        if isinstance(missing, dict)
        else ""
    )
    reason = tr(gettext_noop("Daily norm missed on %(d)s")) % {"d": day.isoformat()}
    if what:
        reason = f"{reason}（{what}）"
    return [Hit("fieldwork.day.missed", U, worker_id, path, day, DAY_REPORT, report_id, reason)]


def inspection_hits(inspection_id, path, day, expected, present) -> list[Hit]:
    if expected is None or present is None or present >= expected:
        return []
    reason = site_gettext(
        gettext_noop("Inspection on %(d)s: %(a)s of %(e)s people away from their post")
    ) % {
        "d": day.isoformat(),
        "a": expected - present,
        "e": expected,
    }
    return _with_village(
        [], "supervision.inspection.absent", path, day, INSPECTION, inspection_id, reason
    )


def problem_hits(event, problem_id, responsible_id, path, day, description) -> list[Hit]:
    label = (
        site_gettext(gettext_noop("Problem crossed off"))
        if event == "supervision.problem.crossed_off"
        else site_gettext(gettext_noop("Problem overdue"))
    )
    reason = f"{label}：{(description or '')[:60]}"
    hits = []
    if responsible_id:
        hits.append(Hit(event, U, responsible_id, path, day, PROBLEM, problem_id, reason))
    if event == "supervision.problem.overdue":
        _with_village(hits, event, path, day, PROBLEM, problem_id, reason)
    return hits


# ------------------------------------------------------------------ live: from event payloads


def last_resolution(case) -> tuple[int | None, bool]:
    """(resolver id, on time) of the case's last resolution, from its timeline."""
    from wangge.cases.choices import Verb

    row = (
        case.actions.filter(verb=Verb.RESOLVE)
        .order_by("-id")
        .values_list("actor_id", "data")
        .first()
    )
    if row is None:
        return None, False
    return row[0], bool((row[1] or {}).get("on_time"))


def _problem_overdue_day(problem, at) -> dt.date:
    due = getattr(problem, "overdue_for", None) or getattr(problem, "deadline", None)
    return due + dt.timedelta(days=1) if due else local_day(at)


# ------------------------------------------------------------------ bulk: from the database


def table_exists(label: str) -> bool:
    from django.apps import apps

    try:
        model = apps.get_model(label)
    except LookupError:
        return False
    return model._meta.db_table in connection.introspection.table_names()


def _truthy(value) -> bool:
    return value in (True, 1, "1", "true", "True")


def case_hits_from_db(since: dt.date | None = None) -> Iterator[Hit]:
    """Replay the case timeline: closes after an on-time resolution, the first overdue step,
    unsatisfied return visits (with the resolution they reject). The JSON keys are read in
    SQL and the resolutions without their time, so that a county's year stays a few seconds."""
    from django.db.models import Q
    from django.db.models.fields.json import KT

    from wangge.cases.choices import Verb
    from wangge.cases.models import Case, CaseAction

    tr, tz = MemoGettext(), timezone.get_current_timezone()
    cases = {}
    qs = Case.objects.all()
    if since:
        qs = qs.filter(reported_at__date__gte=since)
    for pk, number, path, fr in qs.values_list("pk", "number", "area_path", "first_responder_id"):
        cases[pk] = (number, path, fr)
    actions = CaseAction.objects.all()
    if since:
        actions = actions.filter(case__reported_at__date__gte=since)
    # Resolutions: (action id, resolver, on time) per case, in timeline order.
    resolutions: dict[int, list] = {}
    for pk, case_id, actor_id, on_time in (
        actions.filter(verb=Verb.RESOLVE)
        .annotate(on_time=KT("data__on_time"))
        .order_by("case_id", "id")
        .values_list("id", "case_id", "actor_id", "on_time")
        .iterator(chunk_size=10000)
    ):
        resolutions.setdefault(case_id, []).append((pk, actor_id, _truthy(on_time)))

    def resolution_before(case_id, action_id):
        last = (None, None, False)
        for r in resolutions.get(case_id, ()):
            if r[0] > action_id:
                break
            last = r
        return last[1], last[2]

    events = (
        actions.filter(
            Q(verb__in=[Verb.CLOSE, Verb.AUTO_ESCALATE])
            | Q(verb=Verb.RETURN_VISIT, data__satisfaction="unsatisfied")
            | Q(verb=Verb.WARN, data__warning="red")
        )
        .order_by("case_id", "id")
        .values_list("id", "case_id", "verb", "created_at")
    )
    overdue_done = set()
    for pk, case_id, verb, at in events.iterator(chunk_size=10000):
        info = cases.get(case_id)
        if info is None:
            continue
        number, path, first_responder = info
        day = local_day(at, tz)
        if verb == Verb.CLOSE:
            resolver, on_time = resolution_before(case_id, pk)
            if on_time:
                yield from case_hits(
                    "case.closed_on_time", case_id, number, path, resolver, day, tr
                )
        elif verb == Verb.RETURN_VISIT:
            resolver, _on_time = resolution_before(case_id, pk)
            yield from case_hits("case.unsatisfied", case_id, number, path, resolver, day, tr)
        elif case_id not in overdue_done:
            overdue_done.add(case_id)
            yield from case_hits("case.overdue", case_id, number, path, first_responder, day, tr)


def party_hits_from_db(since: dt.date | None = None) -> Iterator[Hit]:
    from wangge.party.models import Attendance, Meeting, Need, PartyMember

    tr, tz = MemoGettext(), timezone.get_current_timezone()
    paths = dict(PartyMember.objects.values_list("pk", "area_path"))
    needs = Need.objects.filter(claimed_by__isnull=False).values_list(
        "pk", "claimed_by_id", "claimed_at", "fulfilled_at", "status", "description"
    )
    for pk, member_id, claimed_at, fulfilled_at, _status, description in needs.iterator():
        if claimed_at and (since is None or local_day(claimed_at, tz) >= since):
            yield from need_hits(
                "party.need.claimed",
                pk,
                member_id,
                paths.get(member_id),
                local_day(claimed_at, tz),
                description,
                tr,
            )
        if fulfilled_at and (since is None or local_day(fulfilled_at, tz) >= since):
            yield from need_hits(
                "party.need.fulfilled",
                pk,
                member_id,
                paths.get(member_id),
                local_day(fulfilled_at, tz),
                description,
                tr,
            )
    present: dict[int, list] = {}
    for meeting_id, member_id in Attendance.objects.filter(present=True).values_list(
        "meeting_id", "member_id"
    ):
        present.setdefault(meeting_id, []).append((member_id, paths.get(member_id)))
    meetings = Meeting.objects.values_list("pk", "org_id", "org__area_path", "date", "topic")
    if since:
        meetings = meetings.filter(date__gte=since)
    for pk, org_id, org_path, day, topic in meetings.iterator():
        yield from meeting_hits(pk, org_id, org_path, day, topic, present.get(pk, []), tr)


def fieldwork_hits_from_db(since: dt.date | None = None) -> Iterator[Hit]:
    tr, tz = MemoGettext(), timezone.get_current_timezone()
    if table_exists("fieldwork.Patrol"):
        from wangge.fieldwork.models import Patrol

        qs = Patrol.objects.filter(ended_at__isnull=False)
        if since:
            qs = qs.filter(started_at__date__gte=since)
        for pk, worker_id, path, ended in qs.values_list(
            "pk", "worker_id", "area_path", "ended_at"
        ).iterator(chunk_size=5000):
            yield from patrol_hits(pk, worker_id, path, local_day(ended, tz), tr)
    if table_exists("fieldwork.Visit"):
        from wangge.fieldwork.models import Visit

        qs = Visit.objects.all()
        if since:
            qs = qs.filter(visited_at__date__gte=since)
        for pk, visitor_id, path, at in qs.values_list(
            "pk", "visitor_id", "area_path", "visited_at"
        ).iterator(chunk_size=5000):
            yield from visit_hits(pk, visitor_id, path, local_day(at, tz), tr)
    if table_exists("fieldwork.DailyReport"):
        from wangge.fieldwork.models import DailyReport

        qs = DailyReport.objects.filter(compliant=False)
        if since:
            qs = qs.filter(day__gte=since)
        for pk, worker_id, path, day, compliant, missing in qs.values_list(
            "pk", "worker_id", "area_path", "day", "compliant", "missing"
        ).iterator(chunk_size=5000):
            yield from day_hits(pk, worker_id, path, day, compliant, missing, tr)


def supervision_hits_from_db(since: dt.date | None = None) -> Iterator[Hit]:
    if table_exists("supervision.Inspection"):
        from wangge.supervision.models import Inspection

        qs = Inspection.objects.all()
        if since:
            qs = qs.filter(inspected_on__gte=since)
        for pk, path, day, expected, present in qs.values_list(
            "pk", "area_path", "inspected_on", "staff_expected", "staff_present"
        ).iterator():
            yield from inspection_hits(pk, path, day, expected, present)
    if table_exists("supervision.Problem"):
        from wangge.supervision.models import Problem

        fields = ["pk", "responsible_id", "area_path", "description"]
        names = {f.name for f in Problem._meta.get_fields()}
        if "crossed_off_at" in names:
            for pk, rid, path, desc, at in (
                Problem.objects.filter(crossed_off_at__isnull=False)
                .values_list(*fields, "crossed_off_at")
                .iterator()
            ):
                day = local_day(at)
                if since is None or day >= since:
                    yield from problem_hits(
                        "supervision.problem.crossed_off", pk, rid, path, day, desc
                    )
        if "overdue_for" in names:
            for pk, rid, path, desc, due in (
                Problem.objects.filter(overdue_for__isnull=False)
                .values_list(*fields, "overdue_for")
                .iterator()
            ):
                day = due + dt.timedelta(days=1)
                if since is None or day >= since:
                    yield from problem_hits("supervision.problem.overdue", pk, rid, path, day, desc)


def all_hits_from_db(since: dt.date | None = None) -> Iterator[Hit]:
    yield from case_hits_from_db(since)
    yield from party_hits_from_db(since)
    yield from fieldwork_hits_from_db(since)
    yield from supervision_hits_from_db(since)


# Which source types exist (for the orphan check): label → model label.
SOURCE_MODELS = {
    CASE: "cases.Case",
    NEED: "party.Need",
    MEETING: "party.Meeting",
    PATROL: "fieldwork.Patrol",
    VISIT: "fieldwork.Visit",
    DAY_REPORT: "fieldwork.DailyReport",
    INSPECTION: "supervision.Inspection",
    PROBLEM: "supervision.Problem",
    "scoring.pointentry": "scoring.PointEntry",
}
