"""The team pages: setting up a volunteer or commando team 志愿服务队/突击队 and choosing its
members among the party members of the organisation's subtree."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.accounts.choices import Role
from wangge.party import services
from wangge.party.choices import TeamKind, TeamPurpose
from wangge.party.models import PartyMember, Team
from wangge.testing.factories import UserFactory, user_with_post

pytestmark = pytest.mark.django_db

NEW = reverse("party:team_new")


def _post_new(client, org, **over):
    data = {
        "name": "防汛突击队",
        "kind": TeamKind.COMMANDO,
        "purpose": TeamPurpose.FLOOD,
        "org": org.pk,
        **over,
    }
    return client.post(NEW, data)


@pytest.fixture
def team(net):
    return services.team_create(actor=None, org=net.va, name="志愿服务队", members=[net.m1])


def _members_url(team, **params):
    url = reverse("party:team_members", args=[team.pk])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def _ids(team):
    return set(Team.objects.get(pk=team.pk).members.values_list("pk", flat=True))


# -- new team ----------------------------------------------------------------------------------


def test_organiser_sets_up_a_commando_team(client, net):
    client.force_login(net.va_organiser)
    page = client.get(NEW)
    assert page.status_code == 200
    orgs = list(page.context["form"].fields["org"].queryset)
    assert net.va in orgs and net.a1 in orgs and net.vb not in orgs and net.town not in orgs
    r = _post_new(client, net.va)
    team = Team.objects.get()
    assert r.status_code == 302 and r.url == reverse("party:team_members", args=[team.pk])
    assert (team.org, team.name, team.kind, team.purpose) == (
        net.va,
        "防汛突击队",
        TeamKind.COMMANDO,
        TeamPurpose.FLOOD,
    )
    detail = client.get(reverse("party:team_detail", args=[team.pk]))
    assert detail.status_code == 200 and detail.context["can_manage"]
    assert _members_url(team) in detail.content.decode()
    listing = client.get(reverse("party:team_list")).content.decode()
    assert NEW in listing and reverse("party:team_detail", args=[team.pk]) in listing


def test_org_page_links_to_a_new_team_of_that_org(client, net):
    client.force_login(net.va_organiser)
    html = client.get(reverse("party:org_detail", args=[net.a1.pk])).content.decode()
    assert f"{NEW}?org={net.a1.pk}" in html
    form = client.get(NEW, {"org": net.a1.pk}).context["form"]
    assert form.initial["org"] == net.a1
    assert set(form.fields["org"].queryset) == {net.a1}


def test_user_without_the_capability_gets_403_and_nothing_is_created(client, net):
    worker = user_with_post(net.t.grid_a1, Role.GRID_WORKER)
    for user in (worker, UserFactory()):
        client.force_login(user)
        assert client.get(NEW).status_code == 403
        assert _post_new(client, net.va).status_code == 403
        html = client.get(reverse("party:team_list")).content.decode()
        assert NEW not in html
    assert not Team.objects.exists()


def test_org_outside_the_scope_answers_404_and_nothing_is_created(client, net):
    client.force_login(net.vb_organiser)
    assert _post_new(client, net.va).status_code == 404
    assert client.get(NEW, {"org": net.va.pk}).status_code == 404
    client.force_login(net.a1_secretary)  # runs grid branch A1 only
    assert _post_new(client, net.va).status_code == 404
    assert _post_new(client, net.a1, name="x").status_code == 302
    assert list(Team.objects.values_list("org", flat=True)) == [net.a1.pk]


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"name": "   "}, "name", "必填"),
        ({"kind": "pirates"}, "kind", "有效"),
        ({"name": "志愿服务队"}, "name", "此处已有志愿服务队。"),
    ],
)
def test_bad_input_says_why_in_chinese_and_creates_nothing(client, net, team, over, field, message):
    client.force_login(net.va_organiser)
    r = _post_new(client, net.va, **over)
    assert r.status_code == 400
    errors = r.context["form"].errors[field]
    assert any(message in e for e in errors), errors
    assert message in r.content.decode()
    assert list(Team.objects.all()) == [team]


# -- team page and members ---------------------------------------------------------------------


def test_team_page_is_404_out_of_scope_and_members_page_403_for_readers(client, net, team):
    client.force_login(net.vb_organiser)
    assert client.get(reverse("party:team_detail", args=[team.pk])).status_code == 404
    assert client.get(_members_url(team)).status_code == 404
    assert client.post(_members_url(team), {"present": [net.m5.pk]}).status_code == 404
    client.force_login(net.m2.user)  # a party member who may not manage the organisation
    services.team_set_members(actor=None, team=team, members=[net.m1, net.m2])
    r = client.get(reverse("party:team_detail", args=[team.pk]))
    assert r.status_code == 200 and not r.context["can_manage"]
    assert _members_url(team) not in r.content.decode()
    assert client.get(_members_url(team)).status_code == 403
    r = client.post(_members_url(team), {"shown": [net.m2.pk], "present": []})
    assert r.status_code == 403
    assert _ids(team) == {net.m1.pk, net.m2.pk}


def test_members_page_lists_the_subtree_and_saves_the_ticked_members(client, net, team):
    client.force_login(net.va_organiser)
    r = client.get(_members_url(team))
    rows = list(r.context["page"].object_list)
    assert {m.pk for m in rows} == {net.m1.pk, net.m2.pk, net.m3.pk, net.m4.pk}  # not m5
    assert rows[0] == net.m1 and rows[0].in_team
    url = _members_url(team)
    shown = [net.m1.pk, net.m2.pk, net.m4.pk]
    r = client.post(url, {"shown": shown, "present": [net.m2.pk, net.m4.pk]})
    assert r.status_code == 302
    assert _ids(team) == {net.m2.pk, net.m4.pk}
    # a page that did not list m2 leaves m2 in the team
    r = client.post(url, {"shown": [net.m3.pk], "present": [net.m3.pk]})
    assert _ids(team) == {net.m2.pk, net.m3.pk, net.m4.pk}


def test_members_page_searches(client, net, team):
    client.force_login(net.va_organiser)
    r = client.get(_members_url(team, q="李四"))
    assert [m.pk for m in r.context["page"].object_list] == [net.m4.pk]
    r = client.get(_members_url(team, q=net.a2.name))
    assert [m.pk for m in r.context["page"].object_list] == [net.m4.pk]
    r = client.get(_members_url(team, **{"in": 1}))
    assert [m.pk for m in r.context["page"].object_list] == [net.m1.pk]


def test_member_outside_the_subtree_says_why_and_changes_nothing(client, net, team):
    client.force_login(net.va_organiser)
    r = client.post(_members_url(team), {"shown": [net.m5.pk], "present": [net.m5.pk]})
    assert r.status_code == 400
    assert f"不是{net.va.name}的党员：王五。" in r.content.decode()
    assert _ids(team) == {net.m1.pk}
    r = client.post(_members_url(team), {"present": ["abc"]})
    assert r.status_code == 400 and "请从列表中选择党员" in r.content.decode()
    assert _ids(team) == {net.m1.pk}


def test_members_page_query_count_stays_flat(client, net, team):
    client.force_login(net.va_organiser)
    url = _members_url(team)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    joined = dt.date(2015, 7, 1)
    new = PartyMember.objects.bulk_create(
        PartyMember(
            org=net.a2 if i % 2 else net.a1,
            name=f"党员{i:03d}",
            join_date=joined,
            area_path=(net.a2 if i % 2 else net.a1).area_path,
        )
        for i in range(300)
    )
    services.team_set_members(actor=None, team=team, members=new[:150])
    after = queries()
    assert after <= before, (before, after)
    page = client.get(url).context["page"]
    assert page.paginator.count == 304 and len(page.object_list) == 30
    assert all(m.in_team for m in page.object_list)
