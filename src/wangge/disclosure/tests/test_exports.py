"""xlsx export of a village's disclosures for a period and of a town's completeness: scoped
(out of scope → 404), masked, audited, and a fixed number of queries however many rows."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from wangge.core.models import AuditEntry
from wangge.disclosure import services
from wangge.disclosure.models import DisclosureItem
from wangge.disclosure.tests.helpers import published
from wangge.testing.factories import make_area, user_with_post, valid_id_number

pytestmark = pytest.mark.django_db


def _sheet(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _mandatory(kind):
    return DisclosureItem.objects.filter(is_mandatory=True, is_active=True, period_kind=kind)


def test_village_export_lists_disclosures_and_missing_items(
    client, territory, editor, reviewer, monthly_item, quarterly_item
):
    idn = valid_id_number()
    published(
        village=territory.village_a,
        item=monthly_item,
        period="2026-08",
        editor=editor,
        reviewer=reviewer,
        table={"columns": ["摘要", "收入", "支出"], "rows": [["租金", "100", "20.5"]]},
    )
    services.disclosure_create(
        actor=editor,
        village=territory.village_a,
        item=quarterly_item,
        period="2026-Q3",
        body=f"张三 {idn} 待审核",
    )
    client.force_login(editor)
    rows = _sheet(
        client.get(
            reverse("disclosure:export"), {"village": territory.village_a.pk, "period": "2026-q3"}
        )
    )
    header, body = rows[0], rows[1:]
    assert header[:6] == ["期间", "类别", "公开事项", "必须公开", "标题", "状态"]
    first = body[0]
    assert first[0] == "2026-08" and first[8] == 1 and first[9] == 120.5
    draft = next(r for r in body if r[0] == "2026-Q3" and r[5] != "未公开（缺项）")
    assert idn not in str(draft) and idn[:3] + "*" * 11 + idn[-4:] in draft[12]
    missing = [(r[0], r[2]) for r in body if r[5] == "未公开（缺项）"]
    # the quarter's and its three months' mandatory items, less the one published
    expected = _mandatory("quarterly").count() + 3 * _mandatory("monthly").count() - 1
    assert len(missing) == expected
    assert ("2026-08", monthly_item.name) not in missing
    assert ("2026-09", monthly_item.name) in missing
    assert ("2026-Q3", quarterly_item.name) in missing  # a draft is not published
    assert AuditEntry.objects.filter(verb="disclosure.export").exists()


def test_village_export_scope_and_bad_input(client, territory, editor_b):
    client.force_login(editor_b)
    url = reverse("disclosure:export")
    assert client.get(url, {"village": territory.village_a.pk}).status_code == 404
    assert client.get(url, {"village": "x"}).status_code == 404
    assert client.get(url, {"village": territory.town.pk}).status_code == 404  # not a village
    r = client.get(url, {"village": territory.village_b.pk, "period": "2026-13"})
    assert r.status_code == 302 and not AuditEntry.objects.filter(verb="disclosure.export")
    client.force_login(user_with_post(territory.grid_a1, "volunteer"))
    assert client.get(url, {"village": territory.village_a.pk}).status_code == 404


def test_completeness_export(client, territory, editor, reviewer, town_admin, monthly_item):
    # village B has published every mandatory item of 2026-10 (monthly ones only)
    for item in _mandatory("monthly"):
        published(
            village=territory.village_b,
            item=item,
            period="2026-10",
            editor=user_with_post(territory.village_b, "disclosure_editor"),
            reviewer=reviewer,
        )
    client.force_login(town_admin)
    rows = _sheet(
        client.get(
            reverse("disclosure:completeness_export"),
            {"town": territory.town.pk, "period": "2026-10"},
        )
    )
    body = rows[1:]
    a = [r for r in body if r[1] == "程集村"]
    b = [r for r in body if r[1] == "王庄村"]
    assert len(a) == _mandatory("monthly").count() and a[0][3] == 0
    assert {r[6] for r in a} == set(_mandatory("monthly").values_list("name", flat=True))
    assert b == [
        [territory.village_b.code, "王庄村", b[0][2], b[0][2], "100%", None, "全部公开", None]
    ]


def test_completeness_export_scope(client, territory, editor_b):
    other = make_area(territory.county, "袁集镇", "341204101000")
    client.force_login(editor_b)
    url = reverse("disclosure:completeness_export")
    assert client.get(url, {"town": other.pk, "period": "2026-10"}).status_code == 404
    rows = _sheet(client.get(url, {"town": territory.town.pk, "period": "2026-10"}))
    assert {r[1] for r in rows[1:]} == {"王庄村"}  # only the village of the post
    client.force_login(user_with_post(other, "town_admin"))
    assert client.get(url, {"town": territory.town.pk}).status_code == 404


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_stay_flat(client, territory, editor, reviewer, town_admin, monthly_item):
    client.force_login(town_admin)
    village_url, town_url = reverse("disclosure:export"), reverse("disclosure:completeness_export")
    params = {"village": territory.village_a.pk, "period": "2026"}
    town_params = {"town": territory.town.pk, "period": "2026"}
    few = _queries(client, village_url, params)
    few_town = _queries(client, town_url, town_params)
    for month in range(1, 13):
        d = services.disclosure_create(
            actor=editor,
            village=territory.village_a,
            item=monthly_item,
            period=f"2026-{month:02d}",
            body="x",
        )
        services.disclosure_attach(actor=editor, disclosure=d, file=_file(f"{month}.txt"))
        services.disclosure_submit(actor=editor, disclosure=d)
        d = services.disclosure_publish(actor=reviewer, disclosure=d)
        services.feedback_submit(
            village=territory.village_a,
            kind="question",
            phone=f"139123456{month:02d}",
            body="?",
            disclosure=d,
        )
    for n in range(4):
        make_area(territory.town, f"新村{n}", f"34120410030{n}")
    assert _queries(client, village_url, params) == few
    assert _queries(client, town_url, town_params) == few_town


def _file(name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"x")
