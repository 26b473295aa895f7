"""Assessments = base + the period's ledger + bundled shares; idempotent tasks; closed
periods never rewritten; the admonishment list and its talks; the ranking agrees with the
case KPIs; bulletin sections; the recount."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from wangge.cases.kpis import kpis
from wangge.core.errors import DomainError, NotFound, TransitionNotAllowed
from wangge.core.events import emit, subscribe, unsubscribe
from wangge.scoring import handlers, selectors, services
from wangge.scoring.choices import BundleKind
from wangge.scoring.models import (
    Admonishment,
    Assessment,
    AssessmentSettings,
    BundleLink,
    PointEntry,
    PointRule,
)
from wangge.scoring.recount import recount
from wangge.scoring.tasks import assess_periods

from .conftest import patrol

pytestmark = pytest.mark.django_db
SEPT = (dt.date(2025, 9, 1), dt.date(2025, 9, 30))


def _random_ledger(world, rng, n=60):
    t = world.t
    people = [world.worker_a1, world.worker_a2, world.worker_b1]
    for i in range(n):
        w = people[rng.randrange(3)]
        day = dt.date(2025, rng.randrange(7, 10), rng.randrange(1, 28))
        grid = t.grid_a1 if w is world.worker_a1 else t.grid_b1
        if rng.random() < 0.5:
            emit("fieldwork.patrol.finished", patrol=patrol(i + 1, w, grid, day), at=None)
        else:
            report = type("R", (), {})()
            report.pk, report.worker_id, report.day = i + 1, w.pk, day
            report.area_path, report.compliant, report.missing = grid.path, False, {}
            emit("fieldwork.day.closed", report=report, at=None)
    for i in range(6):
        services.entry_create_manual(
            actor=None,
            rule=PointRule.objects.get(code="village_deduction"),
            subject_id=t.village_b.pk,
            reason="环境整治不力",
            day=dt.date(2025, 9, 1 + i),
        )


def test_assessment_is_base_plus_the_entries_on_random_data(world):
    _random_ledger(world, random.Random(7))
    services.assess_ended_periods(today=dt.date(2025, 11, 5))
    assessments = list(Assessment.objects.all())
    assert {a.period_kind for a in assessments} == {"month", "quarter"}
    for a in assessments:
        total = PointEntry.objects.filter(
            subject_kind=a.subject_kind,
            subject_id=a.subject_id,
            day__gte=a.start,
            day__lte=a.end,
        ).aggregate(s=Sum("points"))["s"] or Decimal("0")
        assert a.points == total
        assert a.score == a.base + total + a.bundled
        assert a.entry_count == selectors.assessment_entries(a).count()
    # Everybody with an assessed post and every village, even without entries.
    sept = Assessment.objects.filter(period_kind="month", start=SEPT[0])
    assert sept.filter(subject_kind="user", subject_id=world.worker_a2.pk).exists()
    assert sept.filter(subject_kind="village", subject_id=world.t.village_a.pk).exists()
    # The village with -30 is under the threshold and on the admonishment list.
    vb = sept.get(subject_kind="village", subject_id=world.t.village_b.pk)
    assert vb.score == Decimal("70") and vb.below_threshold
    assert Admonishment.objects.filter(assessment=vb).exists()


def test_assess_task_is_idempotent_and_final_periods_are_not_rewritten(world, monkeypatch):
    _random_ledger(world, random.Random(3), n=20)
    real = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, *a: real(value) if value else dt.date(2025, 11, 5)
    )
    first = assess_periods.call()
    assert first["periods"] >= 3
    snapshot = list(Assessment.objects.order_by("id").values())
    admonishments = Admonishment.objects.count()
    assert assess_periods.call() == {}
    assert list(Assessment.objects.order_by("id").values()) == snapshot
    assert Admonishment.objects.count() == admonishments
    # A late entry for September is booked in the open period: September stays as it was.
    emit("fieldwork.patrol.finished", patrol=patrol(999, world.worker_a1, world.t.grid_a1), at=None)
    late = PointEntry.objects.get(source_id=999)
    assert late.day == dt.date(2025, 11, 5) and late.event_day == dt.date(2025, 9, 29)
    services.assess_ended_periods(today=dt.date(2025, 11, 5))
    assert list(Assessment.objects.order_by("id").values()) == snapshot


def test_reopen_recomputes_with_a_reason(world):
    services.assess_period("month", *SEPT)
    a = Assessment.objects.get(
        period_kind="month", subject_kind="village", subject_id=world.t.village_a.pk
    )
    with pytest.raises(DomainError):
        services.assessment_reopen(actor=world.town_admin, assessment=a, reason=" ")
    conf = AssessmentSettings.get()
    conf.base_score = Decimal("90")
    conf.save()
    services.assess_period("month", *SEPT)
    a.refresh_from_db()
    assert a.score == Decimal("100")  # final: not rewritten
    services.assessment_reopen(actor=world.town_admin, assessment=a, reason="基础分调整")
    with pytest.raises(TransitionNotAllowed):
        services.assessment_reopen(actor=world.town_admin, assessment=a, reason="again")
    services.assess_ended_periods(today=dt.date(2025, 10, 2))
    a.refresh_from_db()
    assert (a.score, a.state) == (Decimal("90"), "final")


def test_bundled_reward_and_punishment(world):
    t = world.t
    cadre = world.add_post(world.chief_b, t.village_a, "stationed_cadre").user
    assert services.bundle_links_sync() >= 3
    assert BundleLink.objects.filter(
        user=cadre, village=t.village_a, kind=BundleKind.STATIONED_CADRE
    ).exists()
    assert (
        BundleLink.objects.filter(user=world.town_chief, kind=BundleKind.TOWN_GRID_CHIEF).count()
        == 2
    )
    assert services.bundle_links_sync() == 0
    for i in range(4):
        services.entry_create_manual(
            actor=None,
            rule=PointRule.objects.get(code="village_deduction"),
            subject_id=t.village_a.pk,
            reason="扣分",
            day=dt.date(2025, 9, 2 + i),
        )
    services.assess_period("month", *SEPT)
    a = Assessment.objects.get(period_kind="month", subject_kind="user", subject_id=cadre.pk)
    # village -20 × 30 %
    assert a.bundled == Decimal("-6.0") and a.score == Decimal("94.0")
    assert a.bundle_detail[0]["village_name"] == t.village_a.name
    chief = Assessment.objects.get(
        period_kind="month", subject_kind="user", subject_id=world.town_chief.pk
    )
    assert chief.bundled == Decimal("-2.0")


def test_talk_record(world):
    for i in range(5):
        services.entry_create_manual(
            actor=None,
            rule=PointRule.objects.get(code="admonishment"),
            subject_id=world.worker_a1.pk,
            reason="未按时巡查",
            day=dt.date(2025, 9, 1 + i),
        )
    services.assess_period("month", *SEPT)
    adm = Admonishment.objects.get()
    assert adm.assessment.subject_id == world.worker_a1.pk and adm.assessment.score == 75
    at = timezone.now()
    with pytest.raises(DomainError):
        services.admonishment_record_talk(
            actor=world.town_admin, admonishment=adm, talked_at=at, notes=""
        )
    with pytest.raises(DomainError):
        services.admonishment_record_talk(
            actor=world.town_admin,
            admonishment=adm,
            talked_at=at + dt.timedelta(days=2),
            notes="谈话",
        )
    services.admonishment_record_talk(
        actor=world.town_admin,
        admonishment=adm,
        talked_at=at,
        notes="指出问题",
        follow_up="下月复查",
    )
    adm.refresh_from_db()
    assert adm.talked_by == world.town_admin and adm.notes == "指出问题"
    with pytest.raises(TransitionNotAllowed):
        services.admonishment_record_talk(
            actor=world.town_admin, admonishment=adm, talked_at=at, notes="again"
        )


def test_ranking_agrees_with_the_case_kpis(world, loop, clock):
    loop()
    loop(satisfaction="basically")
    loop(resolve_after_hours=24 * 30)
    day = timezone.localdate(clock.now)
    start, end = dt.date(day.year, 7, 1), dt.date(day.year, 9, 30)
    rows = selectors.village_ranking(user=world.town_admin, area=world.t.town, start=start, end=end)
    by_code = {r["village_code"]: r for r in rows}
    va = by_code[world.t.village_a.code]
    k = kpis(area_path=world.t.village_a.path, start=start, end=end)
    assert va["values"]["on_time_rate"] == round(k.on_time_resolution_rate * 100, 1)
    assert va["values"]["satisfaction_rate"] == round(k.satisfaction_rate * 100, 1)
    assert va["values"]["village_score"] == 100 + 0.5 * 2
    vb = by_code[world.t.village_b.code]
    assert vb["values"]["on_time_rate"] is None and vb["score"] == 100.0
    assert [r["rank"] for r in rows] == [1, 2]
    sections = selectors.bulletin_sections(
        user=world.town_admin, area=world.t.town, start=start, end=end
    )
    assert set(sections) == {"ranking", "formula", "praise", "criticism"}
    assert set(sections["ranking"][0]) == {"rank", "village", "village_code", "score", "components"}
    assert sections["praise"][0]["name"] == world.worker_a1.full_name
    assert sections["praise"][0]["points"] == 4.0
    assert "按时" in sections["formula"] or "on-time" in sections["formula"]
    # Out of scope: 404.
    with pytest.raises(NotFound):
        selectors.bulletin_sections(
            user=world.chief_b, area=world.t.village_a, start=start, end=end
        )
    with pytest.raises(NotFound):
        selectors.village_ranking(user=world.worker_a1, area=world.t.town, start=start, end=end)
    # The system (a periodic task) sees everything.
    system = selectors.bulletin_sections(user=None, area=world.t.town, start=start, end=end)
    assert system["ranking"] == sections["ranking"]


def test_recount_finds_missing_and_orphans_and_apply_is_idempotent(world, loop):
    unsubscribe("case.closed", handlers.on_case_closed)
    try:
        case = loop()
    finally:
        subscribe("case.closed")(handlers.on_case_closed)
    result = recount()
    assert {(e.rule.code, e.source_id) for e in result.missing} == {
        ("case_on_time", case.pk),
        ("village_case_on_time", case.pk),
    }
    assert recount(apply=True).written == 2
    again = recount(apply=True)
    assert (len(again.missing), again.written, again.orphans, again.extra) == (0, 0, [], [])
    # The replayed entries equal those the live handler writes.
    live_case = loop()
    got = {
        e.rule.code: (e.subject_id, e.points)
        for e in PointEntry.objects.filter(source_id=live_case.pk).select_related("rule")
    }
    replayed = {
        e.rule.code: (e.subject_id, e.points)
        for e in PointEntry.objects.filter(source_id=case.pk).select_related("rule")
    }
    assert got == replayed
    # An entry whose source does not exist is an orphan.
    emit(
        "fieldwork.patrol.finished",
        patrol=patrol(424242, world.worker_a1, world.t.grid_a1),
        at=None,
    )
    orphans = recount().orphans
    assert [(o[1], o[2]) for o in orphans] == [("fieldwork.patrol", 424242)]


def test_commendation_lists(world):
    for w, n in ((world.worker_a1, 3), (world.worker_a2, 1)):
        for i in range(n):
            services.entry_create_manual(
                actor=None,
                rule=PointRule.objects.get(code="commendation"),
                subject_id=w.pk,
                reason="表扬",
                day=dt.date(2025, 9, 1 + i),
            )
    services.assess_period("month", *SEPT)
    groups = selectors.commendation_lists(user=world.town_admin, kind="month", start=SEPT[0])
    workers = next(g for g in groups if g["key"] == "workers")["rows"]
    assert [a.subject_id for a in workers] == [world.worker_a1.pk, world.worker_a2.pk]
    chiefs = next(g for g in groups if g["key"] == "chiefs")["rows"]
    assert chiefs == []


def test_points_recount_command(world, loop):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    unsubscribe("case.closed", handlers.on_case_closed)
    try:
        loop()
    finally:
        subscribe("case.closed")(handlers.on_case_closed)
    out = io.StringIO()
    call_command("points_recount", stdout=out)
    assert "missing 2" in out.getvalue() and PointEntry.objects.count() == 0
    out = io.StringIO()
    call_command("points_recount", "--apply", stdout=out)
    assert "written 2" in out.getvalue() and PointEntry.objects.count() == 2
    out = io.StringIO()
    call_command("points_recount", "--apply", stdout=out)
    assert "missing 0" in out.getvalue() and "written 0" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("points_recount", "--since", "yesterday", stdout=io.StringIO())
