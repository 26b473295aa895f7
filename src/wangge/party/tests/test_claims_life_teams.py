import datetime as dt

import pytest
from django.utils import timezone

from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.party import services
from wangge.party.choices import MeetingKind, ModelPostKind, NeedStatus, TeamKind, TeamPurpose
from wangge.party.models import Attendance, Need
from wangge.party.selectors import (
    call_roster,
    call_turnout,
    meetings_for_user,
    open_needs_for_member,
)
from wangge.testing.factories import make_household

pytestmark = pytest.mark.django_db


def test_six_model_post_kinds():
    assert len(ModelPostKind.values) == 6


def test_model_post_claim_and_release(net):
    post = services.model_post_create(
        actor=net.va_organiser, org=net.va, kind=ModelPostKind.POLICY, title="政策宣传岗"
    )
    with pytest.raises(DomainError):  # village B member
        services.model_post_claim(actor=None, post=post, member=net.m5)
    with pytest.raises(PermissionDenied):  # m2 cannot claim for m1
        services.model_post_claim(actor=net.m2.user, post=post, member=net.m1)
    post = services.model_post_claim(actor=net.m1.user, post=post, member=net.m1)
    assert post.holder == net.m1
    with pytest.raises(TransitionNotAllowed):
        services.model_post_claim(actor=net.m2.user, post=post, member=net.m2)
    services.model_post_release(actor=net.m1.user, post=post)
    with pytest.raises(TransitionNotAllowed):
        services.model_post_release(actor=net.m1.user, post=post)


def test_need_lifecycle(net):
    hh = make_household(net.t.grid_a1)
    need = services.need_create(actor=net.m1.user, household=hh, description="屋顶漏雨需修缮")
    assert list(open_needs_for_member(net.m2)) == [need]
    assert list(open_needs_for_member(net.m4)) == []
    with pytest.raises(DomainError):  # grid A2 member: household outside their areas
        services.need_claim(actor=None, need=need, member=net.m4)
    with pytest.raises(TransitionNotAllowed):
        services.need_fulfil(actor=net.m1.user, need=need, result="done")
    need = services.need_claim(actor=net.m1.user, need=need, member=net.m1)
    assert need.status == NeedStatus.CLAIMED
    with pytest.raises(TransitionNotAllowed):
        services.need_claim(actor=net.m2.user, need=need, member=net.m2)
    with pytest.raises(PermissionDenied):
        services.need_fulfil(actor=net.m2.user, need=need, result="done")
    need = services.need_fulfil(actor=net.m1.user, need=need, result="已联系施工队修好")
    assert need.status == NeedStatus.FULFILLED and need.fulfilled_at


def test_need_create_outside_scope(net):
    hh = make_household(net.t.grid_b1)
    with pytest.raises(PermissionDenied):
        services.need_create(actor=net.m1.user, household=hh, description="x")


def test_need_convert_to_case_is_guarded(net, monkeypatch):
    hh = make_household(net.t.grid_a1)
    need = services.need_create(actor=None, household=hh, description="邻里宅基地纠纷")
    with pytest.raises(TransitionNotAllowed):
        services.need_convert_to_case(actor=None, need=need)
    need = services.need_claim(actor=None, need=need, member=net.m1)

    class FakeCase:
        pk = 77

    calls = []

    def fake_report(**kwargs):
        calls.append(kwargs)
        return FakeCase()

    monkeypatch.setattr(services, "_case_report", lambda: None)
    with pytest.raises(DomainError):
        services.need_convert_to_case(actor=net.m1.user, need=need)
    assert Need.objects.get(pk=need.pk).status == NeedStatus.CLAIMED
    monkeypatch.setattr(services, "_case_report", lambda: fake_report)
    need = services.need_convert_to_case(actor=net.m1.user, need=need, note="调解未果")
    assert need.status == NeedStatus.CONVERTED and need.case_id == 77
    assert calls[0]["household"] == hh and "调解未果" in calls[0]["description"]


def test_meeting_attendance(net):
    today = timezone.localdate()
    m = services.meeting_record(
        actor=net.a1_secretary,
        org=net.a1,
        kind=MeetingKind.THEME_DAY,
        date=today,
        topic="学习二十大精神",
        present=[net.m1, net.m2],
        absent={net.m3: "外出务工"},
    )
    assert m.attendance_count == 2
    assert Attendance.objects.get(meeting=m, member=net.m3).absence_reason == "外出务工"
    row = meetings_for_user(user=net.va_organiser).get(pk=m.pk)
    assert (row.present_count, row.absent_count) == (2, 1)
    with pytest.raises(DomainError):  # m4 is in another branch
        services.meeting_record(
            actor=None,
            org=net.a1,
            kind=MeetingKind.MEMBERS_MEETING,
            date=today,
            topic="x",
            present=[net.m4],
        )
    with pytest.raises(DomainError):  # listed twice
        services.meeting_record(
            actor=None,
            org=net.a1,
            kind=MeetingKind.MEMBERS_MEETING,
            date=today,
            topic="x",
            present=[net.m1],
            absent=[net.m1],
        )
    with pytest.raises(DomainError):
        services.meeting_record(
            actor=None,
            org=net.a1,
            kind=MeetingKind.PARTY_LECTURE,
            date=today + dt.timedelta(days=1),
            topic="x",
        )
    training = services.meeting_record(
        actor=None,
        org=net.va,
        kind=MeetingKind.TRAINING,
        date=today,
        topic="网格员培训",
        attendance_count=120,
    )
    assert training.attendance_count == 120


def test_commando_team_and_call(net):
    team = services.team_create(
        actor=net.va_organiser,
        org=net.va,
        name="防汛突击队",
        kind=TeamKind.COMMANDO,
        purpose=TeamPurpose.FLOOD,
        members=[net.m1, net.m2],
        leader=net.m4,
    )
    assert set(team.members.values_list("pk", flat=True)) == {net.m1.pk, net.m2.pk, net.m4.pk}
    with pytest.raises(DomainError):
        services.team_create(actor=None, org=net.va, name="x", members=[net.m5])

    call = services.call_create(
        actor=net.va_organiser,
        area=net.t.village_a,
        title="圩堤巡查",
        starts_at=timezone.now(),
        purpose=TeamPurpose.FLOOD,
    )
    services.call_sign_up(actor=net.m1.user, call=call, member=net.m1)
    services.call_sign_up(actor=None, call=call, member=net.m4)
    with pytest.raises(DomainError):  # village B is not called
        services.call_sign_up(actor=None, call=call, member=net.m5)
    with pytest.raises(DomainError):
        services.call_sign_up(actor=None, call=call, member=net.m1)
    with pytest.raises(DomainError):
        services.call_record_turnout(actor=net.va_organiser, call=call, present=[net.m2])
    services.call_record_turnout(actor=net.va_organiser, call=call, present=[net.m1])
    turnout = call_turnout(call)
    assert (turnout.eligible, turnout.signed_up, turnout.turned_out) == (4, 2, 1)
    assert [s.member_id for s in call_roster(call)] == [net.m1.pk, net.m4.pk]
    services.call_close(actor=net.va_organiser, call=call)
    with pytest.raises(TransitionNotAllowed):
        services.call_sign_up(actor=None, call=call, member=net.m2)

    team_call = services.call_create(
        actor=None, area=net.t.village_a, title="抢险", starts_at=timezone.now(), team=team
    )
    with pytest.raises(DomainError):  # not in the team
        services.call_sign_up(actor=None, call=team_call, member=net.m3)
    assert call_turnout(team_call).eligible == 3
