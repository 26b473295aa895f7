import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.party import services
from wangge.party.choices import RatingState, Star
from wangge.party.models import Contact
from wangge.testing.api import api_client, ids
from wangge.testing.factories import make_household

pytestmark = [pytest.mark.django_db, pytest.mark.urls("wangge.party.tests.urls_api")]


def _count(client, url):
    client.get(url)  # steady state: after new rows the first request re-reads cached posts/users
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries)


def _grow(net, n, prefix, grid):
    for i in range(n):
        org = services.org_create(
            actor=None,
            parent=net.va,
            name=f"{prefix}{i}",
            kind="party_group",
            area=grid,
            areas=[grid],
        )
        m = services.member_create(
            actor=None, org=org, name=f"{prefix}{i}", join_date=dt.date(2000, 1, 1)
        )
        hh = make_household(grid)
        services.contact_assign(actor=None, member=m, household=hh)
        services.need_create(actor=None, household=hh, description=f"{prefix}{i}")
        services.star_rating_open(actor=None, member=m, year=2024)


@pytest.mark.parametrize(
    "url",
    [
        "/api/party/orgs/",
        "/api/party/members/",
        "/api/party/contacts/",
        "/api/party/star-ratings/",
        "/api/party/needs/",
    ],
)
def test_list_query_counts_are_flat(net, url):
    client = api_client(net.town_organiser)
    _grow(net, 2, "小组", net.t.grid_a1)
    few = _count(client, url)
    _grow(net, 6, "更多", net.t.grid_a2)
    assert _count(client, url) == few


def test_scope_and_404(net):
    client = api_client(net.va_organiser)
    r = client.get("/api/party/members/")
    assert ids(r) == {net.m1.pk, net.m2.pk, net.m3.pk, net.m4.pk}
    assert client.get(f"/api/party/members/{net.m5.pk}/").status_code == 404
    assert client.get(f"/api/party/orgs/{net.vb.pk}/").status_code == 404
    assert client.get(f"/api/party/orgs/{net.va.pk}/").status_code == 200
    secretary = api_client(net.a1_secretary)
    assert ids(secretary.get("/api/party/orgs/")) == {net.a1.pk}
    assert secretary.get(f"/api/party/members/{net.m4.pk}/").status_code == 404
    assert api_client().get("/api/party/orgs/").status_code in (401, 403)


def test_filters(net):
    client = api_client(net.town_organiser)
    assert ids(client.get(f"/api/party/members/?org={net.va.pk}")) == {
        net.m1.pk,
        net.m2.pk,
        net.m3.pk,
        net.m4.pk,
    }
    assert ids(client.get("/api/party/orgs/?kind=grid_branch")) == {net.a1.pk, net.a2.pk}


def test_create_org_and_member_and_refusals(net):
    client = api_client(net.va_organiser)
    r = client.post(
        "/api/party/orgs/",
        {
            "parent": net.va.pk,
            "name": "第三党小组",
            "kind": "party_group",
            "area": net.t.grid_a2.pk,
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    org_id = r.json()["id"]
    r = client.post(
        "/api/party/members/",
        {"org": org_id, "name": "新党员", "join_date": "2020-07-01", "grid_level": 4},
        format="json",
    )
    assert r.status_code == 201, r.content
    # a parent outside the scope is "does not exist"
    r = client.post(
        "/api/party/orgs/",
        {"parent": net.vb.pk, "name": "x", "kind": "party_group", "area": net.t.grid_a2.pk},
        format="json",
    )
    assert r.status_code == 400 and r.json()["field"] == "parent"
    r = client.patch(f"/api/party/orgs/{org_id}/", {"name": "三组"}, format="json")
    assert r.status_code == 200 and r.json()["name"] == "三组"


def test_contact_assign_refused_with_message(net):
    client = api_client(net.va_organiser)
    hh = make_household(net.t.grid_a2)
    r = client.post(
        "/api/party/contacts/", {"member": net.m1.pk, "household": hh.pk}, format="json"
    )
    assert r.status_code == 400
    assert r.json()["field"] == "household" and hh.number in r.json()["detail"]
    assert not Contact.objects.exists()


def test_contact_propose_and_apply(net):
    for _ in range(3):
        make_household(net.t.grid_a1)
    client = api_client(net.va_organiser)
    r = client.post("/api/party/contacts/propose/", {"grid": net.t.grid_a1.pk}, format="json")
    assert r.status_code == 200 and len(r.json()["assignments"]) == 3
    assert not Contact.objects.exists()
    r = client.post(
        "/api/party/contacts/propose/", {"grid": net.t.grid_a1.pk, "apply": True}, format="json"
    )
    assert r.status_code == 200 and Contact.objects.count() == 3
    assert client.get(f"/api/party/orgs/{net.a1.pk}/coverage/").json()["covered"] == 3


def test_star_rating_through_the_api(net):
    rating = services.star_rating_open(actor=None, member=net.m1, year=2024)
    me = api_client(net.m1.user)
    url = f"/api/party/star-ratings/{rating.pk}/"
    r = me.post(url + "public/", {"votes": {"study": [3, 1]}}, format="json")
    assert r.status_code == 403  # not the branch organiser
    r = api_client(net.a1_secretary).post(
        url + "public/", {"votes": {"study": [3, 1]}}, format="json"
    )
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"
    r = me.post(url + "self-evaluate/", {"stars": list(Star.values)}, format="json")
    assert r.status_code == 200 and r.json()["state"] == RatingState.SELF_EVALUATED
    r = api_client(net.m2.user).post(url + "peer-evaluate/", {"stars": ["study"]}, format="json")
    assert r.status_code == 200
    # a member of another village cannot even see it
    r = api_client(net.vb_organiser).get(url)
    assert r.status_code == 404


def test_need_claim_by_member(net):
    hh = make_household(net.t.grid_a1)
    need = services.need_create(actor=None, household=hh, description="代办医保")
    client = api_client(net.m1.user)
    assert ids(client.get("/api/party/needs/")) == {need.pk}
    r = client.post(f"/api/party/needs/{need.pk}/claim/", {}, format="json")
    assert r.status_code == 200 and r.json()["claimed_by"] == net.m1.pk
    r = client.post(f"/api/party/needs/{need.pk}/fulfil/", {"result": "已办结"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "fulfilled"
    other = make_household(net.t.grid_b1)
    far = services.need_create(actor=None, household=other, description="x")
    assert client.post(f"/api/party/needs/{far.pk}/claim/", {}, format="json").status_code == 404
