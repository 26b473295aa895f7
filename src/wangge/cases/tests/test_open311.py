import json
from xml.etree import ElementTree as ET

import pytest

from wangge.cases.models import Case
from wangge.cases.services import ensure_demo_open311_key

from .conftest import IN_A1

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


@pytest.fixture
def key(world):
    ensure_demo_open311_key()
    return "demo-open311"


def post(client, fmt="json", **data):
    return client.post(f"{BASE}/requests.{fmt}", data)


def good(key, **extra):
    data = {
        "api_key": key,
        "service_code": "environment",
        "lat": IN_A1[0],
        "long": IN_A1[1],
        "description": "垃圾堆放在路边",
        "phone": "13800138000",
        "first_name": "三",
        "last_name": "张",
    }
    data.update(extra)
    return data


def test_services_json_and_xml(client, db):
    r = client.get(f"{BASE}/services.json")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    services = r.json()
    straw = next(s for s in services if s["service_code"] == "straw_burning")
    assert set(straw) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert straw["metadata"] is False and straw["type"] == "realtime"
    land = next(s for s in services if s["service_code"] == "dispute_land")
    assert land["group"] == "矛盾纠纷"

    r = client.get(f"{BASE}/services.xml")
    root = ET.fromstring(r.content)
    assert root.tag == "services"
    assert root[0].tag == "service" and root[0].find("service_code") is not None
    assert root.find("service/metadata").text == "false"


def test_service_definition(client, db):
    assert client.get(f"{BASE}/services/flood.json").json() == {
        "service_code": "flood",
        "attributes": [],
    }
    root = ET.fromstring(client.get(f"{BASE}/services/flood.xml").content)
    assert root.tag == "service_definition" and root.find("service_code").text == "flood"
    r = client.get(f"{BASE}/services/nope.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404


def test_post_creates_case_through_intake(client, key, world):
    r = post(client, **good(key))
    assert r.status_code == 201
    body = r.json()
    assert len(body) == 1 and set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    case = Case.objects.get()
    assert body[0]["service_request_id"] == case.tracking_code
    assert case.source == "open311" and case.grid == world.t.grid_a1
    assert case.reporter_name == "张 三" and case.reporter_phone == "13800138000"


def test_post_xml(client, key, world):
    r = post(client, "xml", **good(key))
    assert r.status_code == 201
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert root.find("request/service_request_id").text == Case.objects.get().tracking_code


@pytest.mark.parametrize(
    "change,status",
    [
        ({"api_key": ""}, 403),
        ({"api_key": "wrong"}, 403),
        ({"service_code": ""}, 400),
        ({"service_code": "unknown"}, 404),
        ({"lat": "", "long": ""}, 400),
        ({"lat": "40.0", "long": "116.4"}, 400),  # outside every grid
        ({"phone": "", "email": ""}, 400),
        ({"description": "x" * 4001}, 400),
        ({"address_id": "999", "lat": "", "long": ""}, 400),
    ],
)
def test_post_errors_in_open311_format(client, key, world, change, status):
    for fmt in ("json", "xml"):
        r = post(client, fmt, **good(key, **change))
        assert r.status_code == status
        if fmt == "json":
            errors = r.json()
            assert isinstance(errors, list) and errors[0]["code"] == status
            assert errors[0]["description"]
        else:
            root = ET.fromstring(r.content)
            assert root.tag == "errors" and root.find("error/code").text == str(status)
    assert not Case.objects.exists()


def test_post_with_address_id_and_email_only(client, key, world):
    r = post(
        client,
        **good(key, lat="", long="", address_id=world.t.grid_b1.code, phone="", email="a@b.cn"),
    )
    assert r.status_code == 201
    assert Case.objects.get().grid == world.t.grid_b1


def test_inactive_key_is_refused(client, key, world):
    from wangge.cases.models import Open311Client

    Open311Client.objects.update(is_active=False)
    assert post(client, **good(key)).status_code == 403


def test_idempotency_header(client, key, world):
    h = {"HTTP_IDEMPOTENCY_KEY": "retry-1"}
    r1 = client.post(f"{BASE}/requests.json", good(key), **h)
    r2 = client.post(f"{BASE}/requests.json", good(key), **h)
    assert r1.json()[0]["service_request_id"] == r2.json()[0]["service_request_id"]
    r3 = client.post(f"{BASE}/requests.json", good(key, description="别的"), **h)
    assert r3.status_code == 409
    assert Case.objects.count() == 1


def test_get_request_by_id_json_and_xml(client, key, world):
    rid = post(client, **good(key)).json()[0]["service_request_id"]
    r = client.get(f"{BASE}/requests/{rid}.json")
    assert r.status_code == 200
    [req] = r.json()
    expected = {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    }
    assert set(req) == expected
    assert req["status"] == "open" and req["service_code"] == "environment"
    assert req["requested_datetime"].endswith("+08:00")
    assert req["agency_responsible"]
    assert "13800138000" not in r.content.decode() and "张" not in r.content.decode()

    root = ET.fromstring(client.get(f"{BASE}/requests/{rid}.xml").content)
    assert root.tag == "service_requests"
    assert root.find("request/status").text == "open"
    assert root.find("request/long").text == str(IN_A1[1])

    r = client.get(f"{BASE}/requests/forged-id-0000.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404
    root = ET.fromstring(client.get(f"{BASE}/requests/forged-id-0000.xml").content)
    assert root.tag == "errors"


def test_list_requests(client, key, world):
    ids = [post(client, **good(key)).json()[0]["service_request_id"] for _ in range(2)]
    # without ids or api_key: refused, never a public list of everyone's reports
    r = client.get(f"{BASE}/requests.json")
    assert r.status_code == 403 and r.json()[0]["code"] == 403
    r = client.get(f"{BASE}/requests.json", {"service_request_id": ",".join(ids)})
    assert sorted(x["service_request_id"] for x in r.json()) == sorted(ids)
    r = client.get(f"{BASE}/requests.json", {"api_key": key})
    assert len(r.json()) == 2
    r = client.get(f"{BASE}/requests.json", {"api_key": key, "status": "closed"})
    assert r.json() == []
    r = client.get(f"{BASE}/requests.json", {"api_key": key, "service_code": "flood"})
    assert r.json() == []
    r = client.get(f"{BASE}/requests.json", {"api_key": key, "start_date": "yesterday"})
    assert r.status_code == 400
    r = client.get(f"{BASE}/requests.json", {"api_key": key, "status": "weird"})
    assert r.status_code == 400
    root = ET.fromstring(client.get(f"{BASE}/requests.xml", {"api_key": key}).content)
    assert root.tag == "service_requests" and len(root) == 2


def test_tokens(client, key, world):
    rid = post(client, **good(key)).json()[0]["service_request_id"]
    assert client.get(f"{BASE}/tokens/{rid}.json").json() == [
        {"service_request_id": rid, "token": rid}
    ]
    assert client.get(f"{BASE}/tokens/nope.json").status_code == 404


def test_status_closed_after_resolution(client, key, world):
    from wangge.cases import services

    rid = post(client, **good(key)).json()[0]["service_request_id"]
    case = Case.objects.get()
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_resolve(case=case, actor=world.worker_a1, resolution="已清运")
    [req] = client.get(f"{BASE}/requests/{rid}.json").json()
    assert req["status"] == "closed" and "已清运" in req["status_notes"]


_ = json


def test_a_real_http_client_posts_then_reads_back(live_server, transactional_db):
    """What a GeoReport v2 client library does over the wire: a form-encoded POST with the
    api_key, then GET /requests/<id>.json; no Django test client involved."""
    import urllib.parse
    import urllib.request

    from wangge.cases.services import ensure_default_categories
    from wangge.testing.factories import Territory, user_with_post

    from .conftest import always_on_duty

    ensure_default_categories()  # a flush by an earlier transactional test removes them
    t = Territory()
    always_on_duty(user_with_post(t.grid_a1, "grid_worker"))
    ensure_demo_open311_key()
    body = urllib.parse.urlencode(
        {
            "api_key": "demo-open311",
            "service_code": "environment",
            "lat": IN_A1[0],
            "long": IN_A1[1],
            "description": "河道里有垃圾",
            "phone": "13800138000",
        }
    ).encode()
    request = urllib.request.Request(
        f"{live_server.url}{BASE}/requests.json",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201)
        [created] = json.loads(response.read())
    rid = created["service_request_id"]
    assert rid
    with urllib.request.urlopen(f"{live_server.url}{BASE}/requests/{rid}.json", timeout=10) as r:
        [req] = json.loads(r.read())
    assert req["service_request_id"] == rid
    assert req["status"] == "open" and req["description"] == "河道里有垃圾"
    assert Case.objects.get().source == "open311"


@pytest.mark.parametrize("method", ["put", "delete", "post", "patch"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_other_methods_get_open311s_405(key, world, method, fmt):
    """A method an endpoint does not take is answered in Open311's error format (a client
    without cookies, as real ones are: not Django's CSRF page)."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    case = Case.objects.get(tracking_code=post(client, **good(key)).json()[0]["service_request_id"])
    paths = [f"services.{fmt}", f"services/environment.{fmt}", f"tokens/{case.tracking_code}.{fmt}"]
    paths.append(f"requests/{case.tracking_code}.{fmt}")
    if method != "post":
        paths.append(f"requests.{fmt}")
    for path in paths:
        r = getattr(client, method)(f"{BASE}/{path}")
        assert r.status_code == 405, path
        if fmt == "json":
            assert r.json()[0]["code"] == 405
        else:
            assert ET.fromstring(r.content).find("error/code").text == "405"


def test_a_report_without_phone_or_email_is_asked_for_either(client, key, world):
    for contact in ({"phone": "", "email": ""}, {"phone": "  ", "email": " "}):
        r = post(client, **good(key, **contact))
        assert r.status_code == 400
        assert "电话号码或电子邮箱" in r.json()[0]["description"]
    assert post(client, **good(key, phone="", email="a@b.cn")).status_code == 201
    assert post(client, **good(key, phone="13800138001", email="")).status_code == 201
