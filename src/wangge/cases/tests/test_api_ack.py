"""The fast path of the phones' acknowledged reports (cases.api.fast_acknowledge): a plainly
well-formed `POST /api/cases/` with a token and `Prefer: respond-async` is answered without
the REST framework's view, with exactly the answer that view gives; everything else is left
to that view."""

import json
import random
from unittest import mock

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wangge.cases import api as cases_api
from wangge.cases.models import Case, IntakeReceipt

from .conftest import IN_A1, IN_B2
from .test_api import body as api_body

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    """A phone: the token in the Authorization header (the fast path's door)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def forced_client(user) -> APIClient:
    """The same user without a token header: always the REST framework's view."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client, body, *, key, raw=False, **extra):
    data = body if raw else json.dumps(body)
    extra.setdefault("content_type", "application/json")
    return client.post(
        "/api/cases/", data, HTTP_PREFER="respond-async", HTTP_IDEMPOTENCY_KEY=key, **extra
    )


def body(**extra):
    """test_api's report, where a value of ... leaves its key out."""
    return {k: v for k, v in api_body(**extra).items() if v is not ...}


def comparable(response) -> tuple:
    """What must be equal between the two paths: status, the headers a client reads, and the
    body but for the receipt's own code and time."""
    data = response.json()
    if isinstance(data, dict) and "tracking_code" in data:
        code = data["tracking_code"]
        data = {
            **data,
            "tracking_code": "*",
            "received_at": "*",
            "url": data["url"].replace(code, "*"),
            "progress_url": data["progress_url"].replace(code, "*"),
        }
    headers = {
        name: response.get(name, "").replace(data.get("tracking_code", "") or "\0", "*")
        for name in ("Content-Type", "Allow", "Vary", "Preference-Applied")
    }
    location = response.get("Location")
    if location:
        headers["Location"] = location.rsplit("/", 2)[0]
    return response.status_code, headers, data


def test_a_plain_report_is_answered_without_the_rest_framework_view(world):
    phone = token_client(world.worker_a1)
    with mock.patch.object(cases_api.CaseViewSet, "create", side_effect=AssertionError):
        r = post(phone, body(), key="fast-1")
    assert r.status_code == 202, r.content
    receipt = IntakeReceipt.objects.get()
    assert r.json()["tracking_code"] == receipt.tracking_code
    assert receipt.actor_id == world.worker_a1.pk
    assert receipt.idempotency_client == f"user:{world.worker_a1.pk}"
    assert receipt.payload["description"] == "路边垃圾没人清理"
    assert receipt.payload["lat"] == IN_A1[0] and receipt.payload["grid"] == world.t.grid_a1.pk

    # The phone retries: the same receipt, still without the view; nothing new.
    with mock.patch.object(cases_api.CaseViewSet, "create", side_effect=AssertionError):
        again = post(phone, body(), key="fast-1")
    assert again.status_code == 202 and again.json() == r.json()
    assert IntakeReceipt.objects.count() == 1 and not Case.objects.exists()


def test_the_fast_answer_is_the_rest_framework_answer(world):
    fast = post(token_client(world.worker_a1), body(title="  标题  "), key="same-1")
    slow = post(forced_client(world.worker_a1), body(title="  标题  "), key="same-2")
    assert fast.status_code == slow.status_code == 202
    assert comparable(fast) == comparable(slow)
    a, b = IntakeReceipt.objects.order_by("id")
    assert a.payload == b.payload and a.payload["title"] == "标题"
    assert a.body_hash != "" and a.source == b.source == "api"


def test_a_chosen_grid_and_household_by_id(world):
    from wangge.testing.factories import make_household

    household = make_household(world.t.grid_a1)
    phone = token_client(world.worker_a1)
    with mock.patch.object(cases_api.CaseViewSet, "create", side_effect=AssertionError):
        r = post(phone, body(lat=..., lng=..., area=world.t.grid_a1.pk), key="grid")
        h = post(phone, body(lat=..., lng=..., household=household.pk), key="household")
    assert r.status_code == h.status_code == 202, (r.content, h.content)
    receipts = {x.idempotency_key: x for x in IntakeReceipt.objects.all()}
    assert receipts["grid"].payload["grid"] == world.t.grid_a1.pk
    assert receipts["household"].payload["household"] == household.pk


# Requests the fast path leaves to the view, each with what the view answers.
DECLINED = [
    ("no token", dict(client="forced"), 202),
    ("bad token", dict(auth="Token nope"), 401),
    ("no prefer", dict(prefer=False), 201),
    ("form body", dict(form=True), 202),
    ("numeric string", dict(body=body(lat=str(IN_A1[0]))), 202),
    ("number as text", dict(body=body(title=12)), 202),
    ("null title", dict(body=body(title=None)), 400),
    ("blank description", dict(body=body(description="  ")), 400),
    ("description over the serializer's limit", dict(body=body(description="长" * 20001)), 400),
    ("description over the service's limit", dict(body=body(description="长" * 4001)), 400),
    ("missing description", dict(body=body(description=...)), 400),
    ("lone surrogate", dict(raw='{"description": "\\ud800", "lat": 32.905, "lng": 115.805}'), 400),
    ("NaN", dict(raw='{"description": "x", "lat": NaN, "lng": 115.805}'), 400),
    ("bool as number", dict(body=body(lat=True)), 400),
    ("huge integer", dict(body=body(lat=10**400)), 400),
    ("photos in JSON", dict(body=body(photos=["x"])), 400),
    ("list body", dict(raw="[1, 2]"), 400),
    ("broken JSON", dict(raw='{"description": '), 400),
    ("unknown source", dict(body=body(source="qr")), 400),
    ("unknown urgency", dict(body=body(urgency="soon")), 400),
    ("unknown category", dict(body=body(category="nope")), 400),
    ("outside every grid", dict(body=body(lat=40.0, lng=116.4)), 400),
    ("no such area", dict(body=body(lat=..., lng=..., area=999999)), 400),
    ("out of scope", dict(body=body(lat=IN_B2[0], lng=IN_B2[1])), 403),
    ("browsable API", dict(accept="text/html"), 202),
    ("format override", dict(query="?format=json"), 202),
    ("latin-1 charset", dict(charset="latin-1"), 202),
]


@pytest.mark.parametrize("name,how,expected", DECLINED, ids=[d[0] for d in DECLINED])
def test_what_the_fast_path_declines_gets_the_views_answer(world, name, how, expected):
    user = world.worker_a1
    client = forced_client(user) if how.get("client") == "forced" else token_client(user)
    if "auth" in how:
        client.credentials(HTTP_AUTHORIZATION=how["auth"])
    extra = {}
    if how.get("prefer", True):
        extra["HTTP_PREFER"] = "respond-async"
    if "accept" in how:
        extra["HTTP_ACCEPT"] = how["accept"]
    path = "/api/cases/" + how.get("query", "")
    if how.get("form"):
        data, content_type = body(), None
    elif "raw" in how:
        data, content_type = how["raw"], "application/json"
    else:
        data, content_type = json.dumps(how.get("body", body())), "application/json"
    if "charset" in how:
        content_type = f"application/json; charset={how['charset']}"
    calls = []
    real = cases_api.CaseViewSet.create

    def spy(self, request, *args, **kwargs):
        calls.append(request)
        return real(self, request, *args, **kwargs)

    kwargs = {"content_type": content_type} if content_type else {"format": "multipart"}
    with mock.patch.object(cases_api.CaseViewSet, "create", spy):
        r = client.post(path, data, HTTP_IDEMPOTENCY_KEY=f"k-{name}", **extra, **kwargs)
    assert r.status_code == expected, r.content
    if expected == 401:
        assert not calls  # refused by the view before it reached create
    else:
        assert len(calls) == 1  # the view answered, not the fast path
    written = IntakeReceipt.objects.count() + Case.objects.count()
    assert (written > 0) == (expected < 300)


def test_random_reports_get_the_same_answer_on_both_paths(world):
    """Random mixes of good and odd values: whichever path answers, the answer (and what is
    written) is the one the REST framework's view gives for the same request."""
    rnd = random.Random(20261202)
    # (good values, odd values) per field: most reports are plain, some carry an odd value.
    values = {
        "category": (["environment", "flood", ""], ["nope", " environment ", 7, None]),
        "urgency": (["normal", "urgent"], ["", "soon", None]),
        "title": (["", "  短标题 ", "x" * 200], ["x" * 201, None, 3.5]),
        "description": (["路灯不亮", "<b>粗体</b>说明"], ["  ", "长" * 4001, "", 12]),
        "lat": ([IN_A1[0], IN_B2[0]], [40.0, None, "32.905", False, 32]),
        "lng": ([IN_A1[1], IN_B2[1]], [116.4, None, "115.805"]),
        "address": (["", "村口"], ["x" * 401, None]),
        "reporter_phone": (["", "13800138000"], ["12345", None]),
        "source": (["api", "hotline", "staff"], ["qr", "open311", None]),
    }
    phone, view = token_client(world.worker_a1), forced_client(world.worker_a1)
    fast_answers = 0
    real_create = cases_api.CaseViewSet.create
    for i in range(120):
        report = {
            name: rnd.choice(good if rnd.random() < 0.93 else odd)
            for name, (good, odd) in values.items()
            if rnd.random() < 0.9
        }
        before = IntakeReceipt.objects.count()
        calls = []

        def spy(self, request, *args, _calls=calls, **kwargs):
            _calls.append(1)
            return real_create(self, request, *args, **kwargs)

        with mock.patch.object(cases_api.CaseViewSet, "create", spy):
            a = post(phone, report, key=f"fast-{i}")
        fast_answers += not calls
        b = post(view, report, key=f"view-{i}")
        assert comparable(a) == comparable(b), (report, a.content, b.content)
        made = IntakeReceipt.objects.count() - before
        assert made == (2 if a.status_code == 202 else 0), report
        if made:
            x, y = IntakeReceipt.objects.order_by("-id")[:2]
            assert x.payload == y.payload and x.body_hash == y.body_hash, report
    assert 10 <= fast_answers <= 110  # the mix exercises both paths


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_retry_and_a_reused_key(territory, _fast_passwords):
    """As in production, no test transaction around the request: the receipt is written by
    itself (on PostgreSQL one statement, no BEGIN/COMMIT; on SQLite BEGIN IMMEDIATE, the
    statement and COMMIT on the driver's connection); a retry finds it, a reused key with
    another body is refused, and nothing else is written."""
    from wangge.cases.services import ensure_default_categories

    from .conftest import World

    ensure_default_categories()  # (another test outside a transaction flushed them)

    world = World(territory)
    phone = token_client(world.worker_a1)
    first = post(phone, body(), key="alone")
    assert first.status_code == 202, first.content
    again = post(phone, body(), key="alone")
    assert again.status_code == 202 and again.json() == first.json()
    other = post(phone, body(description="另一件事"), key="alone")
    assert other.status_code == 400 and other.json()["code"] == "idempotency_conflict"
    assert IntakeReceipt.objects.count() == 1 and not Case.objects.exists()


def test_a_retry_is_answered_once_the_first_requests_commit_is_on_disk(world, monkeypatch):
    """The embedded database flushes a commit after releasing its write lock
    (wangge.core.sqlite3): a retry arriving during that flush finds the receipt already, and
    must not acknowledge it before it is on disk — the database is asked to flush first.
    A new report does not ask (its own commit flushes)."""
    from django.db import connections, router

    connection = connections[router.db_for_write(IntakeReceipt)]  # (SQLite: the intake database)
    flushes = []
    monkeypatch.setattr(connection, "flush_commits", lambda: flushes.append(1), raising=False)
    client = token_client(world.worker_a1)
    first = post(client, body(), key="retry-1")
    assert first.status_code == 202 and flushes == []
    again = post(client, body(), key="retry-1")
    assert again.status_code == 202 and flushes == [1]
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    assert IntakeReceipt.objects.count() == 1
