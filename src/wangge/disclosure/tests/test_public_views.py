import pytest
from django.urls import reverse

from wangge.disclosure import services
from wangge.disclosure.choices import FEEDBACK_LIMIT_PER_IP, FEEDBACK_LIMIT_PER_PHONE
from wangge.disclosure.models import Feedback
from wangge.disclosure.tests.helpers import passed_decision, published
from wangge.testing.factories import user_with_post, valid_id_number

pytestmark = pytest.mark.django_db


def _url(name, code, *args):
    return reverse(f"disclosure_public:{name}", args=[code, *args])


def test_village_page_shows_published_never_drafts(
    client, territory, editor, reviewer, monthly_item, quarterly_item
):
    published(
        village=territory.village_a,
        item=monthly_item,
        period="2026-09",
        editor=editor,
        reviewer=reviewer,
    )
    draft = services.disclosure_create(
        actor=editor,
        village=territory.village_a,
        item=quarterly_item,
        period="2026-Q3",
        title="草稿不公开",
        body="x",
    )
    submitted = services.disclosure_create(
        actor=editor,
        village=territory.village_a,
        item=monthly_item,
        period="2026-10",
        title="待审核不公开",
        body="x",
    )
    services.disclosure_submit(actor=editor, disclosure=submitted)
    r = client.get(_url("village", territory.village_a.code))
    assert r.status_code == 200
    text = r.content.decode()
    assert "程集村2026-09收支明细" in text
    assert "草稿不公开" not in text and "待审核不公开" not in text
    # the detail of an unpublished one is a 404 too
    assert client.get(_url("disclosure", territory.village_a.code, draft.pk)).status_code == 404
    assert client.get(_url("disclosure", territory.village_a.code, submitted.pk)).status_code == 404


def test_village_page_query_count(
    client, territory, editor, reviewer, monthly_item, django_assert_max_num_queries
):
    for m in range(1, 6):
        published(
            village=territory.village_a,
            item=monthly_item,
            period=f"2026-0{m}",
            editor=editor,
            reviewer=reviewer,
        )
    with django_assert_max_num_queries(8):
        assert client.get(_url("village", territory.village_a.code)).status_code == 200


def test_other_village_disclosure_404(client, territory, editor, reviewer, monthly_item):
    d = published(
        village=territory.village_a,
        item=monthly_item,
        period="2026-09",
        editor=editor,
        reviewer=reviewer,
    )
    assert client.get(_url("disclosure", territory.village_a.code, d.pk)).status_code == 200
    assert client.get(_url("disclosure", territory.village_b.code, d.pk)).status_code == 404


def test_unknown_code_and_non_village_404(client, territory):
    assert client.get(_url("village", "999999999999")).status_code == 404
    assert client.get(_url("village", territory.town.code)).status_code == 404
    assert client.get(_url("village", territory.grid_a1.code)).status_code == 404
    assert client.get(_url("qr", territory.town.code)).status_code == 404
    assert client.get(_url("poster", "nope")).status_code == 404


def test_masked_id_in_published_table(client, territory, editor, reviewer, quarterly_item):
    idn = valid_id_number()
    d = published(
        village=territory.village_a,
        item=quarterly_item,
        period="2026-Q3",
        editor=editor,
        reviewer=reviewer,
        table={"columns": ["姓名", "身份证号"], "rows": [["李四", idn]]},
    )
    r = client.get(_url("disclosure", territory.village_a.code, d.pk))
    text = r.content.decode()
    assert idn not in text
    assert idn[:3] + "*" * 11 + idn[-4:] in text


def test_grid_workers_and_case_link_on_page(client, territory):
    user_with_post(territory.grid_a1, "grid_worker", full_name="王网格", phone="13800000001")
    user_with_post(territory.grid_b1, "grid_worker", full_name="别村的")
    text = client.get(_url("village", territory.village_a.code)).content.decode()
    assert "王网格" in text and "13800000001" in text
    assert "别村的" not in text
    assert f"/cases/report/{territory.village_a.code}/" in text or "report" in text


def test_decision_public_only_after_resolution(client, territory, editor):
    d = passed_decision(village=territory.village_a, actor=editor, title="修建文化广场")
    page = _url("village", territory.village_a.code)
    assert "修建文化广场" not in client.get(page).content.decode()
    assert client.get(_url("decision", territory.village_a.code, d.pk)).status_code == 404
    services.decision_publish_resolution(actor=editor, decision=d, resolution="同意修建")
    assert "修建文化广场" in client.get(page).content.decode()
    r = client.get(_url("decision", territory.village_a.code, d.pk))
    assert r.status_code == 200 and "同意修建" in r.content.decode()


def test_question_then_answer_appears_publicly(client, territory, editor, reviewer, monthly_item):
    d = published(
        village=territory.village_a,
        item=monthly_item,
        period="2026-09",
        editor=editor,
        reviewer=reviewer,
    )
    url = _url("disclosure", territory.village_a.code, d.pk)
    r = client.post(url, {"kind": "question", "phone": "13912345678", "body": "办公费为何这么高？"})
    assert r.status_code == 302 and "sent=question" in r["Location"]
    q = Feedback.objects.get()
    assert q.disclosure == d and q.phone == "13912345678"
    # not shown before it is answered
    assert "办公费为何这么高" not in client.get(url).content.decode()
    services.feedback_answer(actor=editor, feedback=q, answer="含全年打印耗材")
    text = client.get(url).content.decode()
    assert "办公费为何这么高" in text and "含全年打印耗材" in text
    assert "13912345678" not in text and "139****5678" in text


def test_rating_and_bad_phone(client, territory, editor, reviewer, monthly_item):
    d = published(
        village=territory.village_a,
        item=monthly_item,
        period="2026-09",
        editor=editor,
        reviewer=reviewer,
    )
    url = _url("disclosure", territory.village_a.code, d.pk)
    r = client.post(url, {"kind": "rating", "phone": "12345", "rating": "5"})
    assert r.status_code == 400 and not Feedback.objects.exists()
    r = client.post(url, {"kind": "rating", "phone": "+86 139-1234-5678", "rating": "4"})
    assert r.status_code == 302
    assert Feedback.objects.get().rating == 4


def test_supervision_report_from_page(client, territory):
    r = client.post(
        _url("supervise", territory.village_a.code),
        {"kind": "supervision", "phone": "13912345678", "body": "集体鱼塘发包未公开招标"},
    )
    assert r.status_code == 302
    fb = Feedback.objects.get()
    assert fb.kind == "supervision"
    # a case when the cases app can take it, otherwise kept pending
    assert fb.supervision_status in ("pending", "case")


def test_rate_limit_per_phone(client, territory):
    url = _url("supervise", territory.village_a.code)
    n = FEEDBACK_LIMIT_PER_PHONE[0]
    for i in range(n):
        r = client.post(url, {"kind": "question", "phone": "13912345678", "body": f"问题{i}"})
        assert r.status_code == 302
    r = client.post(url, {"kind": "question", "phone": "13912345678", "body": "再问"})
    assert r.status_code == 400
    assert Feedback.objects.count() == n
    # another phone from another address still gets through
    r = client.post(
        url, {"kind": "question", "phone": "13700000000", "body": "别人"}, REMOTE_ADDR="10.0.0.9"
    )
    assert r.status_code == 302


def test_rate_limit_per_ip(territory):
    from wangge.core.errors import DomainError

    n = FEEDBACK_LIMIT_PER_IP[0]
    for i in range(n):
        services.feedback_submit(
            village=territory.village_a,
            kind="question",
            phone=f"139{i:08d}",
            ip="10.1.1.1",
            body="q",
        )
    with pytest.raises(DomainError) as exc:
        services.feedback_submit(
            village=territory.village_a,
            kind="question",
            phone="13800000000",
            ip="10.1.1.1",
            body="q",
        )
    assert exc.value.code == "rate_limited"


def test_qr_png(client, territory):
    r = client.get(_url("qr", territory.village_a.code))
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(r.content) > 200
    # the PNG's size follows the scale: width and height in the IHDR chunk
    width = int.from_bytes(r.content[16:20], "big")
    assert width >= 21 * 10


def test_poster_contains_url(client, territory):
    r = client.get(_url("poster", territory.village_a.code))
    assert r.status_code == 200
    text = r.content.decode()
    assert f"http://testserver/v/{territory.village_a.code}/" in text
    assert "程集村" in text and "<svg" in text and "A4" in text


def test_rate_limit_per_address_through_the_form(client, territory, settings):
    """The public form counts the client's address: the X-Forwarded-For hop a trusted proxy
    appended, never a header a client wrote itself."""
    settings.WANGGE_TRUSTED_PROXIES = ["10.0.0.1"]
    url = _url("supervise", territory.village_a.code)
    proxied = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    n = FEEDBACK_LIMIT_PER_IP[0]
    for i in range(n):
        data = {"kind": "question", "phone": f"139{i:08d}", "body": f"问题{i}"}
        assert client.post(url, data, **proxied).status_code == 302
    r = client.post(url, {"kind": "question", "phone": "13800000000", "body": "再问"}, **proxied)
    assert r.status_code == 400 and Feedback.objects.count() == n
    assert set(Feedback.objects.values_list("ip", flat=True)) == {"203.0.113.5"}
    # another villager behind the same proxy is not blocked
    other = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.6"}
    data = {"kind": "question", "phone": "13800000001", "body": "别人"}
    assert client.post(url, data, **other).status_code == 302
    # a client that is not the proxy cannot borrow (or dodge with) an address by the header
    direct = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    data = {"kind": "question", "phone": "13800000002", "body": "直连"}
    assert client.post(url, data, **direct).status_code == 302
    assert Feedback.objects.get(phone="13800000002").ip == "198.51.100.7"
