"""表格填报: a disclosure's table filled in on the page (typed columns, rows added and removed,
money totalled), validated like the xlsx import, and masked on the public page."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from wangge.core.errors import DomainError
from wangge.disclosure import services, tables
from wangge.disclosure.choices import DisclosureStatus
from wangge.testing.factories import valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(territory, editor, monthly_item):
    return services.disclosure_create(
        actor=editor, village=territory.village_a, item=monthly_item, period="2026-10", body="x"
    )


def _grid(columns, types, rows, **extra):
    data = {"ncols": len(columns), "nrows": len(rows)}
    for c, (name, kind) in enumerate(zip(columns, types, strict=True)):
        data[f"col-{c}-name"] = name
        data[f"col-{c}-type"] = kind
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            data[f"cell-{r}-{c}"] = cell
    data.update(extra)
    return data


def test_empty_table_starts_with_item_and_amount(client, editor, draft):
    client.force_login(editor)
    r = client.get(reverse("disclosure:table", args=[draft.pk]))
    html = r.content.decode()
    assert r.status_code == 200
    assert 'name="col-0-name"' in html and 'name="col-1-name"' in html
    assert 'name="cell-0-1"' in html and 'name="cell-1-0"' not in html


def test_add_and_remove_rows_and_columns_without_saving(client, editor, draft):
    client.force_login(editor)
    url = reverse("disclosure:table", args=[draft.pk])
    data = _grid(["摘要", "金额"], ["text", "money"], [["办公费", "100"]])
    html = client.post(url, {**data, "op": "add_row"}).content.decode()
    assert 'name="cell-1-1"' in html and 'value="办公费"' in html
    html = client.post(url, {**data, "op": "add_col"}).content.decode()
    assert 'name="col-2-name"' in html and 'name="cell-0-2"' in html
    two = _grid(["摘要", "金额"], ["text", "money"], [["办公费", "100"], ["电费", "50"]])
    html = client.post(url, {**two, "op": "del_row-0"}).content.decode()
    assert 'value="电费"' in html and 'value="办公费"' not in html
    html = client.post(url, {**two, "op": "del_col-0"}).content.decode()
    assert 'value="电费"' not in html and 'name="col-1-name"' not in html
    # the grid shows the running total of the money column
    assert "150.00" in client.post(url, {**two, "op": "add_row"}).content.decode()
    draft.refresh_from_db()
    assert draft.table == {}


def test_save_types_cells_drops_empty_rows_and_totals(client, editor, draft):
    client.force_login(editor)
    data = _grid(
        ["日期", "摘要", "收入", "支出", "数量"],
        ["date", "text", "money", "money", "number"],
        [
            ["2026/10/03", "土地发包", "1,200.5", "", "3"],
            ["", "", "", "", ""],
            ["2026-10-09", "办公用品", "", "￥80", ""],
        ],
        op="save",
    )
    r = client.post(reverse("disclosure:table", args=[draft.pk]), data)
    assert r.status_code == 302
    draft.refresh_from_db()
    assert draft.table == {
        "columns": ["日期", "摘要", "收入", "支出", "数量"],
        "types": ["date", "text", "money", "money", "number"],
        "rows": [
            ["2026-10-03", "土地发包", "1200.50", None, "3.00"],
            ["2026-10-09", "办公用品", None, "80.00", None],
        ],
    }
    assert draft.totals == [None, None, "1200.50", "80.00", None]
    page = client.get(reverse("disclosure:detail", args=[draft.pk])).content.decode()
    assert "1200.50" in page and "80.00" in page
    # and it reopens in the form as saved
    html = client.get(reverse("disclosure:table", args=[draft.pk])).content.decode()
    assert 'value="1200.50"' in html and 'name="cell-2-0"' not in html


def test_bad_cells_are_shown_on_their_row_and_nothing_saved(client, editor, draft):
    services.disclosure_update(
        actor=editor, disclosure=draft, table={"columns": ["旧"], "rows": [["保留"]]}
    )
    client.force_login(editor)
    data = _grid(
        ["摘要", "金额", "日期"],
        ["text", "money", "date"],
        [["", "", ""], ["办公费", "一百", "10月3日"]],
        op="save",
    )
    r = client.post(reverse("disclosure:table", args=[draft.pk]), data)
    html = r.content.decode()
    assert r.status_code == 400
    assert html.count('aria-invalid="true"') == 2
    # numbered as the grid shows it (row 2, the empty first row counts), named by column
    assert "2" in html and "金额" in html and 'value="一百"' in html
    draft.refresh_from_db()
    assert draft.table == {"columns": ["旧"], "rows": [["保留"]]}
    # a column without a name
    data = _grid(["", "金额"], ["text", "money"], [["x", "1"]], op="save")
    assert client.post(reverse("disclosure:table", args=[draft.pk]), data).status_code == 400
    draft.refresh_from_db()
    assert draft.table == {"columns": ["旧"], "rows": [["保留"]]}


def test_id_numbers_filled_in_are_masked_once_published(client, territory, editor, reviewer, draft):
    idn = valid_id_number()
    client.force_login(editor)
    data = _grid(
        ["姓名", "身份证号", "补贴金额"],
        ["text", "text", "money"],
        [["张三", idn, "300"], ["李四", f"{idn[:-1]}0", "200"]],
        op="save",
    )
    assert client.post(reverse("disclosure:table", args=[draft.pk]), data).status_code == 302
    services.disclosure_submit(actor=editor, disclosure=draft)
    services.disclosure_publish(actor=reviewer, disclosure=draft)
    draft.refresh_from_db()
    assert draft.table["types"] == ["text", "text", "money"]
    client.logout()
    html = client.get(
        reverse("disclosure_public:disclosure", args=[territory.village_a.code, draft.pk])
    ).content.decode()
    assert idn not in html and idn[:-1] not in html
    assert idn[:3] + "*" * 11 + idn[-4:] in html
    assert "500.00" in html  # the total of the money column


def test_out_of_scope_and_published_tables(client, territory, editor, editor_b, reviewer, draft):
    url = reverse("disclosure:table", args=[draft.pk])
    client.force_login(editor_b)
    assert client.get(url).status_code == 404
    data = _grid(["a"], ["text"], [["x"]], op="save")
    assert client.post(url, data).status_code == 404
    services.disclosure_submit(actor=editor, disclosure=draft)
    client.force_login(editor)
    r = client.post(url, data)
    assert r.status_code == 400
    draft.refresh_from_db()
    assert draft.table == {} and draft.status == DisclosureStatus.SUBMITTED


def test_grid_is_bounded(client, editor, draft):
    client.force_login(editor)
    url = reverse("disclosure:table", args=[draft.pk])
    rows = [["x", "1"]] * 400
    r = client.post(url, {**_grid(["a", "b"], ["text", "money"], rows), "op": "add_row"})
    assert r.status_code == 400 and 'name="cell-400-0"' not in r.content.decode()


def test_typed_tables_through_the_service_and_api_shape():
    with pytest.raises(DomainError) as exc:
        tables.clean_table({"columns": ["a"], "types": ["colour"], "rows": []})
    assert exc.value.field == "table"
    with pytest.raises(DomainError) as exc:
        tables.clean_table(
            {"columns": ["a", "b"], "types": ["money", "date"], "rows": [["x", "y"]]}
        )
    assert exc.value.code == "bad_cells"
    assert [e["column"] for e in exc.value.details["errors"]] == ["A", "B"]
    # an untyped table is kept as it was given
    assert tables.clean_table({"columns": ["a"], "rows": [["1"]]}) == {
        "columns": ["a"],
        "rows": [["1"]],
    }


def test_xlsx_import_types_the_columns_and_totals_money(territory, editor, draft):
    wb = Workbook()
    ws = wb.active
    ws.append(["日期", "摘要", "金额", "单价", "面积"])
    ws.append(["2026-10-01", "承包费", 1000, 650, 1.5])
    ws.append(["2026-10-02", "租金", "2,000.10", 12, 3])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "ledger.xlsx"
    d = services.disclosure_import_table(actor=editor, disclosure=draft, file=buf)
    assert d.table["types"] == ["date", "text", "money", "number", "number"]
    assert d.totals == [None, None, "3000.10", None, None]
