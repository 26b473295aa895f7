import io

import openpyxl
import pytest

from wangge.core.excel import (
    Column,
    ImportFileError,
    cell_text,
    normalize_header,
    read_table,
    template_csv,
    template_xlsx,
    write_xlsx,
)

COLUMNS = [
    Column("number", "户编号", required=True),
    Column("name", "姓名", required=True, aliases=("name",)),
    Column("tags", "标签(用、分隔)"),
]


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English here; Chinese is the default (see test_chinese_*)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def xlsx_bytes(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_reads_xlsx_with_row_numbers_and_letters():
    data = xlsx_bytes(
        [
            ["备注", "姓名", "户编号"],
            ["x", "张三", "H1"],
            [None, None, None],  # blank rows are skipped but keep the numbering
            ["", "李四", 1001.0],
        ]
    )
    table = read_table(data, COLUMNS, file_name="a.xlsx")
    assert table.format == "xlsx"
    assert table.columns["number"] == ("C", "户编号")
    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"name": "张三", "number": "H1"}),
        (4, {"name": "李四", "number": "1001"}),
    ]


def test_headers_are_matched_loosely():
    assert normalize_header(" 标签（用、分隔） ") == normalize_header("标签")
    assert normalize_header("*户编号") == "户编号"
    table = read_table("户编号,Name,标签\nH1,a,b\n".encode(), COLUMNS, file_name="a.csv")
    assert table.rows[0].values == {"number": "H1", "name": "a", "tags": "b"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_reads_csv_in_chinese_encodings(encoding):
    data = "户编号,姓名\nH1,张三\nH2,欧阳娜娜\n".encode(encoding)
    table = read_table(data, COLUMNS, file_name="list.csv")
    assert [r.get("name") for r in table.rows] == ["张三", "欧阳娜娜"]


def test_missing_required_column_is_reported():
    with pytest.raises(ImportFileError) as exc:
        read_table("户编号,标签\nH1,x\n".encode(), COLUMNS, file_name="a.csv")
    assert "姓名" in str(exc.value)
    assert exc.value.details[0]["row"] == 1


def test_duplicate_header_is_reported():
    with pytest.raises(ImportFileError) as exc:
        read_table("户编号,姓名,姓名\nH1,a,b\n".encode(), COLUMNS, file_name="a.csv")
    assert exc.value.details[0]["column"] == "C"


def test_oversized_file_is_refused(settings):
    settings.WANGGE_MAX_IMPORT_BYTES = 100
    with pytest.raises(ImportFileError) as exc:
        read_table(("户编号,姓名\n" + "H1,张三\n" * 50).encode(), COLUMNS, file_name="a.csv")
    assert exc.value.code == "file_too_large"


def test_too_many_rows_is_refused(settings):
    settings.WANGGE_MAX_IMPORT_ROWS = 3
    with pytest.raises(ImportFileError) as exc:
        read_table(("户编号,姓名\n" + "H1,张三\n" * 4).encode(), COLUMNS, file_name="a.csv")
    assert exc.value.code == "too_many_rows"


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.mark.parametrize("name", ["fake.xlsx", "fake.csv", "fake.png"])
def test_renamed_png_is_refused(name):
    with pytest.raises(ImportFileError) as exc:
        read_table(PNG, COLUMNS, file_name=name)
    assert exc.value.code == "not_a_spreadsheet"


def test_broken_zip_is_refused():
    with pytest.raises(ImportFileError):
        read_table(b"PK\x03\x04garbage" * 10, COLUMNS, file_name="a.xlsx")


def test_empty_file_and_header_only():
    with pytest.raises(ImportFileError):
        read_table(b"", COLUMNS, file_name="a.csv")
    with pytest.raises(ImportFileError) as exc:
        read_table("户编号,姓名\n".encode(), COLUMNS, file_name="a.csv")
    assert exc.value.code == "no_rows"


def test_cell_text():
    assert cell_text(13800138000.0) == "13800138000"
    assert cell_text(1.5) == "1.5"
    assert cell_text(None) == ""
    assert cell_text(True) == "是"


def test_write_xlsx_keeps_formulas_as_text():
    buf = io.BytesIO()
    n = write_xlsx(buf, headers=["a", "b"], rows=[["=HYPERLINK(1)", "x\x01y"], [1, None]])
    assert n == 2
    buf.seek(0)
    ws = openpyxl.load_workbook(buf).active
    assert ws["A1"].value == "a"
    assert ws["A2"].data_type == "s"
    assert ws["A2"].value == "=HYPERLINK(1)"
    assert ws["B2"].value == "xy"


def test_templates_round_trip():
    data = template_xlsx(COLUMNS, title="户")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert [c.value for c in wb.worksheets[0][1]] == ["户编号", "姓名", "标签(用、分隔)"]
    assert wb.sheetnames[1] == "说明"
    csv_data = template_csv(COLUMNS)
    assert csv_data.startswith(b"\xef\xbb\xbf")
    # An empty template is "no data rows", not a header problem.
    for blob, name in ((data, "t.xlsx"), (csv_data, "t.csv")):
        with pytest.raises(ImportFileError) as exc:
            read_table(blob, COLUMNS, file_name=name)
        assert exc.value.code == "no_rows"


def test_header_below_a_title_row_is_found():
    data = xlsx_bytes(
        [
            ["2024年第三季度城乡低保名单", None, None],
            [None, None, None],
            ["序号", "姓名", "户编号"],
            [1, "张三", "H1"],
        ]
    )
    table = read_table(data, COLUMNS, file_name="list.xlsx")
    assert table.columns["name"] == ("B", "姓名")
    assert [(r.number, r.get("name")) for r in table.rows] == [(4, "张三")]


def test_no_header_at_all():
    with pytest.raises(ImportFileError) as exc:
        read_table(b"a,b\n1,2\n", COLUMNS, file_name="a.csv")
    assert exc.value.code == "missing_header"
