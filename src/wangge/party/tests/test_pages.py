"""The party pages: 双报到 per community, model posts 示范岗, the needs list 需求清单,
organisation life, teams and calls, the member's phone home. Each list page keeps its number
of queries flat as rows grow; out-of-scope objects answer 404; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.party import services
from wangge.party.choices import MeetingKind, ModelPostKind, NeedStatus, OrgKind, TeamKind
from wangge.party.models import (
    Attendance,
    Meeting,
    Mobilisation,
    ModelPost,
    Need,
    ServiceRecord,
    SignUp,
)
from wangge.people.models import Tag
from wangge.testing.factories import UserFactory, make_household, user_with_post

pytestmark = pytest.mark.django_db
JOINED = dt.date(2012, 7, 1)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
    return len(ctx.captured_queries)


def assert_flat(client, url, grow) -> None:
    before = _queries(client, url)
    grow()
    after = _queries(client, url)
    assert after <= before, (url, before, after)


@pytest.fixture
def organ(net):
    return services.org_create(
        actor=None,
        parent=net.town,
        name="程集镇机关党支部",
        kind=OrgKind.ORGAN_BRANCH,
        area=net.t.town,
    )


def _official(organ, i: int, community):
    m = services.member_create(actor=None, org=organ, name=f"干部{i}", join_date=JOINED)
    reg = services.dual_register(
        actor=None, member=m, community=community, registered_on=dt.date(2025, 1, 1)
    )
    return m, reg


# -- 双报到 ---------------------------------------------------------------------------------


def test_community_page_shows_who_reported_in_and_their_hours(client, net, organ):
    m, reg = _official(organ, 1, net.t.village_a)
    today = timezone.localdate()
    services.service_record_add(
        actor=None, registration=reg, date=today, description="环境整治", hours=2
    )
    services.service_record_add(
        actor=None, registration=reg, date=today, description="入户宣传", hours="1.5"
    )
    _official(organ, 2, net.t.village_b)
    client.force_login(net.va_organiser)
    r = client.get(reverse("party:community_detail", args=[net.t.village_a.pk]))
    assert r.status_code == 200
    rows = list(r.context["page"].object_list)
    assert [x.member.name for x in rows] == ["干部1"]
    assert rows[0].service_hours == Decimal("3.5") and rows[0].service_count == 2
    r = client.get(reverse("party:community_list"))
    by_name = {c.name: c for c in r.context["page"].object_list}
    assert set(by_name) == {"程集村"}  # village B is outside the village organiser's scope
    assert by_name["程集村"].registered == 1 and by_name["程集村"].service_hours == Decimal("3.5")


def test_community_page_scope(client, net, organ):
    _official(organ, 1, net.t.village_a)
    worker = user_with_post(net.t.grid_a1, Role.GRID_WORKER)
    for user in (net.vb_organiser, worker, UserFactory()):
        client.force_login(user)
        url = reverse("party:community_detail", args=[net.t.village_a.pk])
        assert client.get(url).status_code == 404
    client.force_login(net.va_organiser)
    # a grid is not a community
    assert client.get(reverse("party:community_detail", args=[net.t.grid_a1.pk])).status_code == 404


def test_recording_service_hours(client, net, organ):
    _m, reg = _official(organ, 1, net.t.village_a)
    url = reverse("party:service_record", args=[reg.pk])
    today = timezone.localdate().isoformat()
    client.force_login(net.va_organiser)
    r = client.post(url, {"date": today, "hours": "3", "description": "义务巡河"})
    assert r.status_code == 302
    assert ServiceRecord.objects.get().hours == Decimal("3.0")
    for bad in (
        {"date": today, "hours": "abc", "description": "x"},
        {"date": today, "hours": "30", "description": "x"},
        {"date": today, "hours": "2", "description": ""},
        {"date": "2024-01-01", "hours": "2", "description": "before reporting in"},
        {
            "date": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
            "hours": "2",
            "description": "future",
        },
    ):
        r = client.post(url, bad, follow=True)
        assert r.status_code == 200
        assert list(r.context["messages"])  # a message says what is wrong
    assert ServiceRecord.objects.count() == 1
    # another village's organiser cannot record here: 404, nothing changed
    client.force_login(net.vb_organiser)
    assert client.post(url, {"date": today, "hours": "1", "description": "x"}).status_code == 404
    assert ServiceRecord.objects.count() == 1


def test_community_pages_query_count_flat(client, net, organ):
    client.force_login(net.town_organiser)
    n = iter(range(100))

    def grow():
        for _ in range(6):
            _m, reg = _official(organ, next(n), net.t.village_a)
            services.service_record_add(
                actor=None, registration=reg, date=timezone.localdate(), description="x", hours=1
            )
            _official(organ, next(n), net.t.village_b)

    grow()
    assert_flat(client, reverse("party:community_detail", args=[net.t.village_a.pk]), grow)
    assert_flat(client, reverse("party:community_list"), grow)


# -- model posts 示范岗 ----------------------------------------------------------------------


def _posts(net, org=None, prefix="岗"):
    return [
        services.model_post_create(actor=None, org=org or net.va, kind=kind, title=f"{prefix}{i}")
        for i, kind in enumerate(ModelPostKind.values)
    ]


def test_model_posts_claim_and_release_from_the_phone(client, net):
    posts = _posts(net)
    assert len({p.kind for p in posts}) == 6
    client.force_login(net.m1.user)
    r = client.get(reverse("party:model_post_list"))
    assert {p.pk for p in r.context["page"].object_list} == {p.pk for p in posts}
    client.post(reverse("party:model_post_claim", args=[posts[0].pk]))
    assert ModelPost.objects.get(pk=posts[0].pk).holder_id == net.m1.pk
    r = client.get(reverse("party:model_post_list") + "?free=on")
    assert posts[0].pk not in {p.pk for p in r.context["page"].object_list}
    # someone else cannot release it
    client.force_login(net.m2.user)
    client.post(reverse("party:model_post_release", args=[posts[0].pk]))
    assert ModelPost.objects.get(pk=posts[0].pk).holder_id == net.m1.pk
    client.force_login(net.m1.user)
    client.post(reverse("party:model_post_release", args=[posts[0].pk]))
    assert ModelPost.objects.get(pk=posts[0].pk).holder_id is None


def test_model_post_of_another_village_is_404(client, net):
    other = _posts(net, org=net.vb, prefix="王庄")
    client.force_login(net.m1.user)
    r = client.post(reverse("party:model_post_claim", args=[other[0].pk]))
    assert r.status_code == 404
    assert ModelPost.objects.get(pk=other[0].pk).holder_id is None
    r = client.get(reverse("party:model_post_list") + "?kind=bogus")
    assert r.status_code == 200  # an unknown kind filters nothing


def test_model_post_list_query_count_flat(client, net):
    client.force_login(net.m1.user)
    n = iter(range(100))

    def grow():
        for p in _posts(net, prefix=f"批{next(n)}-"):
            services.model_post_claim(actor=None, post=p, member=net.m2)

    grow()
    assert_flat(client, reverse("party:model_post_list"), grow)


# -- the needs list 需求清单 ----------------------------------------------------------------


def test_needs_list_filters_and_actions(client, net):
    hh = make_household(net.t.grid_a1)
    far = make_household(net.t.grid_b1)
    n_open = services.need_create(actor=None, household=hh, description="修缮房屋")
    n_claimed = services.need_create(actor=None, household=hh, description="代办医保")
    services.need_claim(actor=None, need=n_claimed, member=net.m2)
    n_far = services.need_create(actor=None, household=far, description="远处的需求")
    client.force_login(net.town_organiser)
    r = client.get(reverse("party:need_list"))
    assert {n.pk for n in r.context["page"].object_list} == {n_open.pk, n_claimed.pk, n_far.pk}
    r = client.get(reverse("party:need_list") + "?status=open")
    assert {n.pk for n in r.context["page"].object_list} == {n_open.pk, n_far.pk}
    r = client.get(reverse("party:need_list") + f"?org={net.a1.pk}")
    assert {n.pk for n in r.context["page"].object_list} == {n_open.pk, n_claimed.pk}
    r = client.get(reverse("party:need_list") + f"?area={net.t.village_b.pk}")
    assert {n.pk for n in r.context["page"].object_list} == {n_far.pk}
    r = client.get(reverse("party:need_list") + "?status=bogus")
    assert r.status_code == 400 and not r.context["page"].object_list
    # the member sees the needs of their areas, not the far one, and claims from the list
    client.force_login(net.m1.user)
    r = client.get(reverse("party:need_list"))
    assert {n.pk for n in r.context["page"].object_list} == {n_open.pk, n_claimed.pk}
    nxt = reverse("party:need_list") + "?status=open"
    r = client.post(reverse("party:need_claim", args=[n_open.pk]), {"next": nxt})
    assert r.status_code == 302 and r.url == nxt
    assert Need.objects.get(pk=n_open.pk).claimed_by_id == net.m1.pk
    # out of scope: 404, nothing changed
    assert client.post(reverse("party:need_claim", args=[n_far.pk])).status_code == 404
    assert Need.objects.get(pk=n_far.pk).status == NeedStatus.OPEN
    # someone else's claim cannot be fulfilled by m1
    client.post(reverse("party:need_fulfil", args=[n_claimed.pk]), {"result": "x"})
    assert Need.objects.get(pk=n_claimed.pk).status == NeedStatus.CLAIMED
    # fulfil without saying what was done: nothing changed
    client.post(reverse("party:need_fulfil", args=[n_open.pk]), {"result": ""})
    assert Need.objects.get(pk=n_open.pk).status == NeedStatus.CLAIMED
    client.post(reverse("party:need_release", args=[n_open.pk]))
    assert Need.objects.get(pk=n_open.pk).status == NeedStatus.OPEN
    # an organisation out of scope as a filter is 404
    assert client.get(reverse("party:need_list") + f"?org={net.vb.pk}").status_code == 404
    assert client.get(reverse("party:need_list") + "?org=x").status_code == 404


def test_need_converted_to_a_real_case(client, net):
    from wangge.cases.models import Case
    from wangge.cases.services import ensure_default_categories

    ensure_default_categories()
    hh = make_household(net.t.grid_a1)
    need = services.need_create(actor=None, household=hh, description="邻里宅基地纠纷需调解")
    services.need_claim(actor=None, need=need, member=net.m1)
    client.force_login(net.m1.user)
    client.post(reverse("party:need_convert", args=[need.pk]), {"note": "调解未果"})
    need.refresh_from_db()
    assert need.status == NeedStatus.CONVERTED
    case = Case.objects.get(pk=need.case_id)
    assert case.household_id == hh.pk and "调解未果" in case.description
    assert case.grid_id == net.t.grid_a1.pk
    # converting twice is refused, nothing changed
    client.post(reverse("party:need_convert", args=[need.pk]), {"note": ""})
    assert Case.objects.count() == 1


def test_needs_list_query_count_flat(client, net):
    client.force_login(net.m1.user)

    def grow():
        for i in range(8):
            hh = make_household(net.t.grid_a1 if i % 2 else net.t.grid_a2)
            need = services.need_create(actor=None, household=hh, description=f"需求{i}")
            if i % 2:  # grid A1, served by m1's branch
                services.need_claim(actor=None, need=need, member=net.m1)

    grow()
    assert_flat(client, reverse("party:need_list"), grow)
    client.force_login(net.town_organiser)
    assert_flat(client, reverse("party:need_list") + f"?org={net.va.pk}&status=open", grow)


# -- organisation life 组织生活 -------------------------------------------------------------


def test_record_a_meeting_with_attendance(client, net):
    client.force_login(net.a1_secretary)
    url = reverse("party:meeting_new", args=[net.a1.pk])
    r = client.get(url)
    assert r.status_code == 200
    assert {c[0] for c in r.context["form"].fields["present"].choices} == {
        net.m1.pk,
        net.m2.pk,
        net.m3.pk,
    }
    today = timezone.localdate()
    r = client.post(
        url,
        {
            "kind": MeetingKind.MEMBERS_MEETING,
            "date": today.isoformat(),
            "topic": "学习二十大精神",
            "present": [net.m1.pk, net.m2.pk],
        },
    )
    meeting = Meeting.objects.get()
    assert r.status_code == 302 and r.url == reverse("party:meeting_detail", args=[meeting.pk])
    assert {(a.member_id, a.present) for a in Attendance.objects.all()} == {
        (net.m1.pk, True),
        (net.m2.pk, True),
        (net.m3.pk, False),
    }
    assert meeting.attendance_count == 2
    r = client.get(reverse("party:meeting_detail", args=[meeting.pk]))
    assert r.status_code == 200 and r.context["meeting"].present_count == 2
    r = client.get(reverse("party:meeting_list", args=[net.a1.pk]))
    assert [m.pk for m in r.context["page"].object_list] == [meeting.pk]


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "bogus", "topic": "x"},
        {"kind": MeetingKind.THEME_DAY, "topic": ""},
        {"kind": MeetingKind.THEME_DAY, "topic": "x", "date": "2099-01-01"},
        {"kind": MeetingKind.THEME_DAY, "topic": "x", "present": ["999999"]},
        {"kind": MeetingKind.TRAINING, "topic": "x", "attendance_count": "-1"},
    ],
)
def test_meeting_bad_input_changes_nothing(client, net, bad):
    client.force_login(net.a1_secretary)
    data = {"date": timezone.localdate().isoformat(), **bad}
    r = client.post(reverse("party:meeting_new", args=[net.a1.pk]), data)
    assert r.status_code == 400
    assert r.context["form"].errors
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_meeting_out_of_scope_is_404(client, net):
    m = services.meeting_record(
        actor=None,
        org=net.vb,
        kind=MeetingKind.THEME_DAY,
        date=timezone.localdate(),
        topic="王庄主题党日",
        present=[net.m5],
    )
    client.force_login(net.va_organiser)
    assert client.get(reverse("party:meeting_detail", args=[m.pk])).status_code == 404
    assert client.get(reverse("party:meeting_list", args=[net.vb.pk])).status_code == 404


def test_meeting_list_query_count_flat(client, net):
    client.force_login(net.va_organiser)

    def grow():
        for i in range(6):
            services.meeting_record(
                actor=None,
                org=net.a1 if i % 2 else net.a2,
                kind=MeetingKind.values[i % 7],
                date=timezone.localdate(),
                topic=f"会议{i}",
                present=[net.m1, net.m2] if i % 2 else [net.m4],
                absent=[net.m3] if i % 2 else [],
            )

    grow()
    assert_flat(client, reverse("party:meeting_list", args=[net.va.pk]), grow)
    meeting = Meeting.objects.filter(org=net.a1).first()
    assert_flat(client, reverse("party:meeting_detail", args=[meeting.pk]), lambda: None)


# -- teams and calls 动员 -------------------------------------------------------------------


def test_call_sign_up_roster_and_turnout(client, net):
    client.force_login(net.va_organiser)
    starts = (timezone.localtime() + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(
        reverse("party:call_new"),
        {"title": "防汛值守", "area": net.t.village_a.pk, "purpose": "flood", "starts_at": starts},
    )
    call = Mobilisation.objects.get()
    assert r.status_code == 302 and call.area_path == net.t.village_a.path
    # m1 sees the call on the phone home and signs up
    client.force_login(net.m1.user)
    r = client.get(reverse("party:me"))
    assert [c.pk for c in r.context["calls"]] == [call.pk]
    client.post(reverse("party:call_sign_up", args=[call.pk]), {"next": reverse("party:me")})
    assert SignUp.objects.filter(call=call, member=net.m1).exists()
    assert not client.get(reverse("party:me")).context["calls"]
    # a second sign-up changes nothing
    client.post(reverse("party:call_sign_up", args=[call.pk]))
    assert SignUp.objects.count() == 1
    client.force_login(net.m2.user)
    client.post(reverse("party:call_sign_up", args=[call.pk]))
    # a member of village B is not called: 404
    services.member_update(actor=None, member=net.m5, user=UserFactory())
    net.m5.refresh_from_db()
    client.force_login(net.m5.user)
    assert client.post(reverse("party:call_sign_up", args=[call.pk])).status_code == 404
    assert client.get(reverse("party:call_detail", args=[call.pk])).status_code == 404
    # the organiser checks the roster: m1 turned out, m2 did not
    client.force_login(net.va_organiser)
    r = client.get(reverse("party:call_detail", args=[call.pk]))
    assert r.context["turnout"].signed_up == 2
    client.post(
        reverse("party:call_turnout", args=[call.pk]),
        {"shown": [net.m1.pk, net.m2.pk], "present": [net.m1.pk], "close": "1"},
    )
    assert dict(SignUp.objects.values_list("member_id", "turned_out")) == {
        net.m1.pk: True,
        net.m2.pk: False,
    }
    call.refresh_from_db()
    assert call.status == "closed"
    r = client.get(reverse("party:call_detail", args=[call.pk]))
    assert r.context["turnout"].turned_out == 1 and r.context["turnout"].rate == 50.0


def test_call_bad_input_and_permissions(client, net):
    starts = (timezone.localtime() + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    worker = user_with_post(net.t.grid_a1, Role.GRID_WORKER)
    client.force_login(worker)
    assert client.get(reverse("party:call_new")).status_code == 403
    client.force_login(net.va_organiser)
    r = client.get(reverse("party:call_new"))
    assert r.status_code == 200
    assert net.t.village_b.pk not in {a for a, _n in r.context["form"].fields["area"].choices}
    for bad in (
        {"title": "", "area": net.t.village_a.pk, "purpose": "flood", "starts_at": starts},
        {"title": "x", "area": net.t.village_b.pk, "purpose": "flood", "starts_at": starts},
        {"title": "x", "area": net.t.village_a.pk, "purpose": "bogus", "starts_at": starts},
        {"title": "x", "area": net.t.village_a.pk, "purpose": "flood", "starts_at": "soon"},
    ):
        assert client.post(reverse("party:call_new"), bad).status_code == 400
    assert not Mobilisation.objects.exists()
    call = services.call_create(
        actor=None, area=net.t.village_a, title="x", starts_at=timezone.now()
    )
    services.call_sign_up(actor=None, call=call, member=net.m1)
    # turnout: only those signed up can be ticked
    r = client.post(
        reverse("party:call_turnout", args=[call.pk]),
        {"shown": [net.m1.pk], "present": [net.m4.pk]},
    )
    assert r.status_code == 302
    assert SignUp.objects.get().turned_out is None
    # a reader may see the call but not record the turnout
    chief = user_with_post(net.t.town, Role.TOWN_GRID_CHIEF)
    client.force_login(chief)
    assert client.get(reverse("party:call_detail", args=[call.pk])).status_code == 200
    r = client.post(
        reverse("party:call_turnout", args=[call.pk]),
        {"shown": [net.m1.pk], "present": [net.m1.pk]},
    )
    assert r.status_code == 403 and SignUp.objects.get().turned_out is None


def test_team_and_call_lists_query_count_flat(client, net):
    client.force_login(net.town_organiser)
    n = iter(range(100))

    def grow():
        for _ in range(4):
            i = next(n)
            team = services.team_create(
                actor=None,
                org=net.va,
                name=f"突击队{i}",
                kind=TeamKind.COMMANDO,
                members=[net.m1, net.m2, net.m4],
                leader=net.m1,
            )
            call = services.call_create(
                actor=None,
                area=net.t.village_a,
                title=f"召集{i}",
                starts_at=timezone.now(),
                team=team,
            )
            services.call_sign_up(actor=None, call=call, member=net.m1)
            services.call_sign_up(actor=None, call=call, member=net.m2)

    grow()
    assert_flat(client, reverse("party:team_list"), grow)
    assert_flat(client, reverse("party:call_list"), grow)
    call = Mobilisation.objects.first()
    assert_flat(client, reverse("party:call_detail", args=[call.pk]), lambda: None)
    # the team member sees the team
    client.force_login(net.m1.user)
    r = client.get(reverse("party:team_list"))
    assert r.context["page"].paginator.count == 12


# -- the member's phone home /party/me/ --------------------------------------------------------


def test_my_page_flags_visits_due(client, net):
    key = Tag.objects.get(code="hardship")
    recent_key = make_household(net.t.grid_a1, tags=[key])
    stale_key = make_household(net.t.grid_a1, tags=[key])
    stale_plain = make_household(net.t.grid_a1)
    fresh_plain = make_household(net.t.grid_a1)
    never = make_household(net.t.grid_a1)
    now = timezone.now()
    for hh, days in (
        (recent_key, 5),
        (stale_key, 40),
        (stale_plain, 100),
        (fresh_plain, 40),
        (never, None),
    ):
        services.contact_assign(actor=None, member=net.m1, household=hh)
        if days is not None:
            services.contact_record_visit(
                actor=None, household=hh, at=now - dt.timedelta(days=days)
            )
    client.force_login(net.m1.user)
    r = client.get(reverse("party:me"))
    flags = {h.pk: h.visit_due for h in r.context["page"].object_list}
    assert flags == {
        recent_key.pk: False,
        stale_key.pk: True,
        stale_plain.pk: True,
        fresh_plain.pk: False,
        never.pk: True,
    }
    assert r.context["due_count"] == 3
    body = r.content.decode()
    assert stale_key.number in body


def test_my_page_query_count_flat(client, net):
    client.force_login(net.m1.user)
    key = Tag.objects.get(code="hardship")
    n = iter(range(100))

    def grow():
        for i in range(4):
            hh = make_household(net.t.grid_a1, tags=[key] if i % 2 else [])
            services.contact_assign(actor=None, member=net.m1, household=hh)
            need = services.need_create(actor=None, household=hh, description=f"需求{i}")
            if i % 2:
                services.need_claim(actor=None, need=need, member=net.m1)
            services.call_create(
                actor=None, area=net.t.village_a, title=f"召集{next(n)}", starts_at=timezone.now()
            )
            post = services.model_post_create(
                actor=None, org=net.a1, kind="policy", title=f"宣传岗{next(n)}"
            )
            services.model_post_claim(actor=None, post=post, member=net.m1)

    grow()
    assert_flat(client, reverse("party:me"), grow)


# -- a member's record and reporting in from the phone ------------------------------------------


def test_member_detail_scope_and_queries(client, net):
    client.force_login(net.va_organiser)
    url = reverse("party:member_detail", args=[net.m1.pk])
    r = client.get(url)
    assert r.status_code == 200 and r.context["member"] == net.m1
    assert client.get(reverse("party:member_detail", args=[net.m5.pk])).status_code == 404
    client.force_login(net.a1_secretary)
    assert client.get(reverse("party:member_detail", args=[net.m4.pk])).status_code == 404
    key = Tag.objects.get(code="hardship")

    def grow():
        for i in range(4):
            hh = make_household(net.t.grid_a1, tags=[key] if i % 2 else [])
            services.contact_assign(actor=None, member=net.m1, household=hh)
            need = services.need_create(actor=None, household=hh, description="x")
            services.need_claim(actor=None, need=need, member=net.m1)

    grow()
    assert_flat(client, url, grow)


def test_an_official_reports_in_from_the_phone(client, net, organ):
    user = UserFactory()
    official = services.member_create(
        actor=None, org=organ, name="镇干部", join_date=JOINED, user=user
    )
    client.force_login(user)
    r = client.get(reverse("party:me"))
    assert r.context["register_form"] is not None
    choices = {c for c, _n in r.context["register_form"].fields["community"].choices if c}
    assert {int(str(c)) for c in choices} == {net.t.village_a.pk, net.t.village_b.pk}
    url = reverse("party:dual_register_me")
    for bad in ({"community": net.t.grid_a1.pk}, {"community": "x"}, {}):
        client.post(url, bad)
    assert not official.dual_registrations.exists()
    client.post(url, {"community": net.t.village_a.pk})
    assert official.dual_registrations.get().community == net.t.village_a
    r = client.post(url, {"community": net.t.village_a.pk}, follow=True)  # twice: refused
    assert official.dual_registrations.count() == 1 and list(r.context["messages"])
    r = client.get(reverse("party:me"))
    assert [x.community for x in r.context["registrations"]] == [net.t.village_a]


def test_a_member_not_in_service_cannot_report_in(client, net):
    client.force_login(net.m1.user)
    assert client.get(reverse("party:me")).context["register_form"] is None
    client.post(reverse("party:dual_register_me"), {"community": net.t.village_a.pk})
    assert not net.m1.dual_registrations.exists()


def test_meeting_and_call_details_do_not_grow_with_their_rows(client, net):
    """A meeting with 1 attendance row and one with 9, a call with 1 sign-up and one with 9:
    the same number of queries."""
    extra = [
        services.member_create(actor=None, org=net.a1, name=f"党员{i}", join_date=JOINED)
        for i in range(8)
    ]
    today = timezone.localdate()
    small = services.meeting_record(
        actor=None, org=net.a1, kind=MeetingKind.THEME_DAY, date=today, topic="小", present=[net.m1]
    )
    big = services.meeting_record(
        actor=None,
        org=net.a1,
        kind=MeetingKind.THEME_DAY,
        date=today,
        topic="大",
        present=[net.m1, *extra[:4]],
        absent={m: "外出务工" for m in extra[4:]},
    )
    calls = []
    for title, who in (("小", [net.m1]), ("大", [net.m1, *extra])):
        call = services.call_create(
            actor=None, area=net.t.grid_a1, title=title, starts_at=timezone.now()
        )
        for m in who:
            services.call_sign_up(actor=None, call=call, member=m)
        calls.append(call)
    for user in (net.va_organiser, net.m2.user):
        client.force_login(user)
        if user == net.va_organiser:
            a = _queries(client, reverse("party:meeting_detail", args=[small.pk]))
            b = _queries(client, reverse("party:meeting_detail", args=[big.pk]))
            assert b <= a
        a = _queries(client, reverse("party:call_detail", args=[calls[0].pk]))
        b = _queries(client, reverse("party:call_detail", args=[calls[1].pk]))
        assert b <= a
