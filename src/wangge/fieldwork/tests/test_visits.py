"""Visits 走访: who may visit which household, needs to the needs list, the one-household-one-
plan, the contact member's last contact, and bad input refused with nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.events import subscribe, unsubscribe
from wangge.fieldwork import services
from wangge.fieldwork.choices import VisitKind
from wangge.fieldwork.models import Visit
from wangge.party.choices import NeedSource, NeedStatus
from wangge.party.models import Contact, Need
from wangge.people.models import ServicePlan


@pytest.fixture
def recorded():
    seen = []

    def handler(**payload):
        seen.append(payload)

    subscribe("fieldwork.visit.recorded")(handler)
    yield seen
    unsubscribe("fieldwork.visit.recorded", handler)


def _nothing_changed():
    assert not Visit.objects.exists()
    assert not Need.objects.exists()
    assert not ServicePlan.objects.exists()


def test_worker_visit_collects_needs_and_updates_the_plan(fw, recorded):
    visit = services.visit_record(
        actor=fw.worker,
        household=fw.h1,
        kind=VisitKind.HELP,
        notes="老人独居，行动不便",
        needs=["代购降压药", "  ", "院墙破损需修缮"],
        plan_situation="独居老人，患高血压",
        plan_measures="每周上门一次",
    )
    assert visit.visitor == fw.worker and visit.area_path == fw.h1.area_path
    needs = list(Need.objects.order_by("id"))
    assert [n.description for n in needs] == ["代购降压药", "院墙破损需修缮"]
    assert all(n.source == NeedSource.VISIT and n.status == NeedStatus.OPEN for n in needs)
    assert set(visit.needs.all()) == set(needs)
    plan = ServicePlan.objects.get(household=fw.h1)
    assert (plan.situation, plan.measures, plan.responsible) == (
        "独居老人，患高血压",
        "每周上门一次",
        fw.worker,
    )
    assert (
        len(recorded) == 1 and recorded[0]["visit"] == visit and recorded[0]["actor"] == fw.worker
    )
    # A later visit that only adds measures keeps the situation already written.
    services.visit_record(
        actor=fw.worker, household=fw.h1, kind=VisitKind.CALL_ON, plan_measures="每周两次"
    )
    plan.refresh_from_db()
    assert (plan.situation, plan.measures) == ("独居老人，患高血压", "每周两次")


def test_worker_cannot_visit_another_grid(fw, recorded):
    for household in (fw.h3, fw.h4):  # A2 (same village), B1 (other village)
        with pytest.raises(PermissionDenied) as exc:
            services.visit_record(
                actor=fw.worker, household=household, kind=VisitKind.ACQUAINT, needs=["修路"]
            )
        assert household.number in str(exc.value)
    _nothing_changed()
    assert recorded == []


def test_the_contact_member_visits_and_the_contact_is_noted(fw):
    when = timezone.now() - dt.timedelta(hours=2)
    visit = services.visit_record(
        actor=fw.member_user,
        household=fw.h2,
        kind=VisitKind.CALL_ON,
        needs=["希望帮忙联系就业培训"],
        at=when,
    )
    assert visit.as_contact and visit.member == fw.member
    assert Contact.objects.get(household=fw.h2).last_contact_at == when
    assert Need.objects.get().household == fw.h2


def test_a_worker_visit_does_not_count_as_the_members_contact(fw):
    services.visit_record(actor=fw.worker, household=fw.h2, kind=VisitKind.CALL_ON)
    assert Contact.objects.get(household=fw.h2).last_contact_at is None


def test_member_cannot_visit_a_household_they_are_not_contact_for(fw):
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=fw.member_user, household=fw.h1, kind=VisitKind.ACQUAINT)
    _nothing_changed()


def test_member_without_post_cannot_rewrite_the_plan(fw):
    with pytest.raises(PermissionDenied) as exc:
        services.visit_record(
            actor=fw.member_user,
            household=fw.h2,
            kind=VisitKind.HELP,
            needs=["修水管"],
            plan_situation="随便写",
        )
    assert exc.value.field == "plan_situation"
    _nothing_changed()
    assert Contact.objects.get(household=fw.h2).last_contact_at is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"at": timezone.now() + dt.timedelta(days=1)}, "at"),
        ({"at": timezone.now() - dt.timedelta(days=30)}, "at"),
        ({"needs": ["需求"] * 11}, "needs"),
        ({"needs": ["一" * 501]}, "needs"),
        ({"notes": "x" * 4001}, "notes"),
        ({"notes": "a\x00b"}, "notes"),
    ],
    ids=[
        "kind",
        "no-kind",
        "future",
        "too-late",
        "too-many-needs",
        "long-need",
        "long-notes",
        "nul",
    ],
)
def test_bad_visit_input_changes_nothing(fw, kwargs, field):
    data = {"kind": VisitKind.ACQUAINT, "needs": ["修路"], "plan_situation": "情况", **kwargs}
    with pytest.raises(DomainError) as exc:
        services.visit_record(actor=fw.worker, household=fw.h1, **data)
    assert exc.value.field == field
    _nothing_changed()
