import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.party import services
from wangge.party.models import Contact, Need
from wangge.people.models import Tag
from wangge.testing.factories import make_household

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_branch_page_shows_members_and_coverage(client, net):
    hh = make_household(net.t.grid_a1, tags=[Tag.objects.get(code="hardship")])
    make_household(net.t.grid_a1)
    services.contact_assign(actor=None, member=net.m1, household=hh)
    r = _login(client, net.va_organiser).get(reverse("party:org_detail", args=[net.a1.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert "李一" in body and "李四" not in body
    assert r.context["coverage"].households == 2 and r.context["coverage"].covered == 1
    assert r.context["not_visited_count"] == 1


def test_branch_page_out_of_scope_is_404(client, net):
    r = _login(client, net.vb_organiser).get(reverse("party:org_detail", args=[net.a1.pk]))
    assert r.status_code == 404


def test_branch_page_query_count_flat(client, net):
    _login(client, net.va_organiser)
    url = reverse("party:org_detail", args=[net.va.pk])

    def count():
        client.get(
            url
        )  # steady state: after new rows the first request re-reads cached posts/users
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(8):
        services.member_create(
            actor=None, org=net.a2, name=f"党员{i}", join_date=dt.date(2000, 1, 1), is_mobile=True
        )
    assert count() == few


def test_my_page_claim_fulfil_and_visit(client, net):
    hh = make_household(net.t.grid_a1)
    services.contact_assign(actor=None, member=net.m1, household=hh)
    need = services.need_create(actor=None, household=hh, description="帮助申请临时救助")
    _login(client, net.m1.user)
    r = client.get(reverse("party:me"))
    assert r.status_code == 200 and hh.number in r.content.decode()
    assert list(r.context["open_needs"]) == [need]
    client.post(reverse("party:need_claim", args=[need.pk]))
    assert Need.objects.get(pk=need.pk).claimed_by_id == net.m1.pk
    client.post(reverse("party:need_fulfil", args=[need.pk]), {"result": "已协助申请"})
    assert Need.objects.get(pk=need.pk).status == "fulfilled"
    client.post(reverse("party:contact_visited", args=[hh.pk]))
    assert Contact.objects.get(household=hh).last_contact_at is not None


def test_my_page_without_member_is_a_friendly_page(client, net):
    r = _login(client, net.va_organiser).get(reverse("party:me"))
    assert r.status_code == 200
    assert "party/not_member.html" in [t.name for t in r.templates]
    assert reverse("home") in r.content.decode()


def test_org_list(client, net):
    r = _login(client, net.a1_secretary).get(reverse("party:org_list"))
    assert r.status_code == 200 and [o.pk for o in r.context["page"].object_list] == [net.a1.pk]
