import datetime as dt
import io
import time

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.core.models import AuditEntry
from wangge.people.imports import (
    import_department_list,
    import_households,
    import_residents,
)
from wangge.people.models import Household, ListImport, Resident, Tag
from wangge.people.services import tag_create
from wangge.testing.factories import (
    make_household,
    make_resident,
    user_with_post,
    valid_id_number,
)

HH_HEAD = ["户编号", "网格代码", "地址", "联系电话", "标签(用、分隔)"]
RES_HEAD = [
    "户编号",
    "姓名",
    "身份证号",
    "联系电话",
    "民族",
    "与户主关系",
    "外出务工(是/否)",
    "标签",
]


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English here; Chinese is the default (see test_chinese_*)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def xlsx(head, rows, name="f.xlsx") -> io.BytesIO:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = name
    return buf


def csv_file(head, rows, encoding="gb18030", name="f.csv") -> io.BytesIO:
    text = "\r\n".join(",".join(str(c) for c in r) for r in [head, *rows]) + "\r\n"
    buf = io.BytesIO(text.encode(encoding))
    buf.name = name
    return buf


@pytest.fixture
def tags(db):
    out = {}
    for code, name, target in [
        ("hardship", "困难户", "household"),
        ("dibao", "低保", "both"),
        ("left_behind_child", "留守儿童", "resident"),
        ("high_medical_cost", "医疗费用自付超5万元", "resident"),
    ]:
        out[code] = Tag.objects.filter(code=code).first() or tag_create(
            actor=None, code=code, name=name, target=target
        )
    return out


# --- households ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_household_import_creates_everything(territory, tags):
    rows = [
        ["H001", "341204100201001", "程集村1组1号", "13800138000", "困难户、低保"],
        ["H002", "341204100201002", "程集村2组5号", "", ""],
    ]
    result = import_households(actor=None, upload=xlsx(HH_HEAD, rows))
    assert result.ok, result.errors
    assert result.created == {"households": 2}
    h1 = Household.objects.get(number="H001")
    assert h1.grid == territory.grid_a1 and h1.area_path == territory.grid_a1.path
    assert h1.phone == "13800138000"
    assert {t.name for t in h1.tags.all()} == {"困难户", "低保"}
    assert AuditEntry.objects.get(verb="households.import").data["created"] == 2


@pytest.mark.django_db
def test_household_csv_in_gb18030(territory, tags):
    rows = [["H100", "341204100202001", "王庄村三组", "0558-2345678", "困难户"]]
    result = import_households(actor=None, upload=csv_file(HH_HEAD, rows))
    assert result.ok, result.errors
    assert Household.objects.get(number="H100").address == "王庄村三组"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row, column, needle",
    [
        (["H009", "341204999999001", "x", "", ""], "B", "341204999999001"),
        (["H001", "341204100201001", "x", "", ""], "A", "H001"),  # already in the database
        (["H009", "341204100201", "x", "", ""], "B", "341204100201"),  # a village, not a grid
        (["H009", "341204100201001", "", "", ""], "C", ""),
        (["H009", "341204100201001", "x", "12345", ""], "D", "12345"),
        (["H009", "341204100201001", "x", "", "不存在"], "E", "不存在"),
        (["H009", "341204100201001", "x", "", "留守儿童"], "E", "留守儿童"),  # resident tag
    ],
)
def test_one_bad_household_row_imports_nothing(territory, tags, row, column, needle):
    make_household(territory.grid_a1, number="H001")
    before = Household.objects.count()
    good = ["H008", "341204100201001", "程集村", "", ""]
    result = import_households(actor=None, upload=xlsx(HH_HEAD, [good, row]))
    assert Household.objects.count() == before
    assert [(e.row, e.column) for e in result.errors] == [(3, column)], result.errors
    assert result.errors[0].header == HH_HEAD["ABCDE".index(column)]
    assert needle in result.errors[0].message


@pytest.mark.django_db
def test_duplicate_household_number_in_file(territory, tags):
    rows = [
        ["H1", "341204100201001", "a", "", ""],
        ["H2", "341204100201001", "b", "", ""],
        ["H1", "341204100201001", "c", "", ""],
    ]
    result = import_households(actor=None, upload=xlsx(HH_HEAD, rows))
    assert [(e.row, e.column) for e in result.errors] == [(4, "A")]
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_all_errors_are_collected(territory, tags):
    rows = [["", "bad", "", "1", "x"]]
    result = import_households(actor=None, upload=xlsx(HH_HEAD, rows))
    assert {e.column for e in result.errors} == {"A", "B", "C", "D", "E"}


@pytest.mark.django_db
def test_missing_column_imports_nothing(territory, tags):
    result = import_households(actor=None, upload=xlsx(["户编号", "地址"], [["H1", "x"]]))
    assert not result.ok and result.errors[0].row == 1
    assert "网格代码" in result.errors[0].message
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_village_chief_cannot_import_into_another_village(territory, tags):
    chief = user_with_post(territory.village_a, "village_grid_chief")
    rows = [
        ["H1", "341204100201001", "a", "", ""],
        ["H2", "341204100202001", "b", "", ""],  # village B
    ]
    result = import_households(actor=chief, upload=xlsx(HH_HEAD, rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "B")]
    assert not Household.objects.exists()
    result = import_households(actor=chief, upload=xlsx(HH_HEAD, rows[:1]))
    assert result.ok
    assert AuditEntry.objects.get(verb="households.import").actor == chief


@pytest.mark.django_db
def test_grid_worker_has_no_import(territory):
    from wangge.core.errors import PermissionDenied

    worker = user_with_post(territory.grid_a1, "grid_worker")
    with pytest.raises(PermissionDenied):
        import_households(actor=worker, upload=xlsx(HH_HEAD, []))


# --- residents ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_resident_import_creates_everything(territory, tags):
    h1 = make_household(territory.grid_a1, number="H1")
    h2 = make_household(territory.grid_a2, number="H2")
    head_id = valid_id_number(dt.date(1960, 5, 1), "M")
    rows = [
        ["H1", "张建国", head_id, "13800138000", "汉族", "户主", "否", "低保"],
        ["H1", "李秀英", valid_id_number(gender="F"), "", "回", "配偶", "是", ""],
        ["H1", "张小明", valid_id_number(dt.date(2015, 1, 1)), "", "", "子女", "", "留守儿童"],
        ["H2", "王五", valid_id_number(), "", "", "", "", ""],
    ]
    result = import_residents(actor=None, upload=xlsx(RES_HEAD, rows))
    assert result.ok, result.errors
    assert result.created == {"residents": 4, "households_updated": 2}
    h1.refresh_from_db()
    h2.refresh_from_db()
    assert h1.member_count == 3 and h2.member_count == 1
    assert h1.head.name == "张建国" and h2.head is None
    head = h1.head
    assert head.birth_date == dt.date(1960, 5, 1) and head.gender == "M"
    assert head.id_number_masked == head_id[:3] + "*" * 11 + head_id[-4:]
    assert head_id not in head.id_number_cipher
    from wangge.core.crypto import decrypt

    assert decrypt(head.id_number_cipher) == head_id
    spouse = Resident.objects.get(name="李秀英")
    assert spouse.ethnicity == "回族" and spouse.is_away and spouse.relation == "spouse"
    assert [t.code for t in head.tags.all()] == ["dibao"]
    entry = AuditEntry.objects.get(verb="residents.import")
    assert entry.data["created"] == 4 and entry.data["heads"] == 1


@pytest.mark.django_db
def test_resident_csv_utf8_with_bom(territory, tags):
    make_household(territory.grid_a1, number="H1")
    rows = [["H1", "张三", valid_id_number(), "", "", "户主", "否", ""]]
    result = import_residents(actor=None, upload=csv_file(RES_HEAD, rows, "utf-8-sig"))
    assert result.ok, result.errors
    assert Resident.objects.get().name == "张三"


def _bad_checksum(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case, column, needle",
    [
        ("checksum", "C", ""),
        ("no_household", "A", "H404"),
        ("existing_id", "C", ""),
        ("second_head", "F", ""),
        ("bad_relation", "F", "表哥"),
        ("bad_away", "G", ""),
        ("bad_ethnicity", "E", "火星族"),
        ("household_tag", "H", "困难户"),
    ],
)
def test_one_bad_resident_row_imports_nothing(territory, tags, case, column, needle):
    hh = make_household(territory.grid_a1, number="H1")
    existing = make_resident(hh, relation="head")
    good = ["H1", "李四", valid_id_number(), "", "", "配偶", "", ""]
    bad = ["H1", "王五", valid_id_number(), "", "", "子女", "否", ""]
    if case == "checksum":
        bad[2] = _bad_checksum(bad[2])
    elif case == "no_household":
        bad[0] = "H404"
    elif case == "existing_id":
        from wangge.core.crypto import decrypt

        bad[2] = decrypt(existing.id_number_cipher)
    elif case == "second_head":
        bad[5] = "户主"
    elif case == "bad_relation":
        bad[5] = "表哥"
    elif case == "bad_away":
        bad[6] = "也许"
    elif case == "bad_ethnicity":
        bad[4] = "火星族"
    elif case == "household_tag":
        bad[7] = "困难户"
    before = Resident.objects.count()
    result = import_residents(actor=None, upload=xlsx(RES_HEAD, [good, bad]))
    assert Resident.objects.count() == before
    assert [(e.row, e.column) for e in result.errors] == [(3, column)], result.errors
    assert result.errors[0].header == RES_HEAD["ABCDEFGH".index(column)]
    assert needle in result.errors[0].message
    hh.refresh_from_db()
    assert hh.member_count == 1


@pytest.mark.django_db
def test_duplicate_id_and_two_heads_in_file(territory, tags):
    make_household(territory.grid_a1, number="H1")
    same = valid_id_number()
    rows = [
        ["H1", "甲", same, "", "", "户主", "", ""],
        ["H1", "乙", same, "", "", "", "", ""],
        ["H1", "丙", valid_id_number(), "", "", "户主", "", ""],
    ]
    result = import_residents(actor=None, upload=xlsx(RES_HEAD, rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "C"), (4, "F")]
    assert not Resident.objects.exists()


@pytest.mark.django_db
def test_id_number_typed_as_a_number_gets_a_hint(territory, tags):
    make_household(territory.grid_a1, number="H1")
    number = valid_id_number()
    if number.endswith("X"):
        number = valid_id_number(dt.date(1980, 1, 2))
    rows = [["H1", "甲", float(number), "", "", "", "", ""]]
    result = import_residents(actor=None, upload=xlsx(RES_HEAD, rows))
    assert not result.ok
    assert result.errors[0].column == "C"
    assert "text" in result.errors[0].message or "文本" in result.errors[0].message


@pytest.mark.django_db
def test_resident_import_scope(territory, tags):
    make_household(territory.grid_a1, number="H1")
    make_household(territory.grid_b1, number="H2")
    chief = user_with_post(territory.village_a, "village_grid_chief")
    rows = [
        ["H1", "甲", valid_id_number(), "", "", "", "", ""],
        ["H2", "乙", valid_id_number(), "", "", "", "", ""],
    ]
    result = import_residents(actor=chief, upload=xlsx(RES_HEAD, rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "A")]
    assert not Resident.objects.exists()


@pytest.mark.django_db
def test_large_resident_import_is_bulk(territory, tags):
    """3,000 rows: lookups in bulk and batched inserts (SQLite caps the parameters of one
    statement, hence a few dozen batches) — far from the thousands a per-row import needs."""
    hh_rows = [[f"B{i:05d}", "341204100201001", f"{i}号", "", ""] for i in range(1000)]
    assert import_households(actor=None, upload=xlsx(HH_HEAD, hh_rows)).ok
    rows = []
    for i in range(3000):
        rows.append(
            [
                f"B{i // 3:05d}",
                f"居民{i}",
                valid_id_number(),
                "",
                "",
                "户主" if i % 3 == 0 else "子女",
                "",
                "低保" if i % 7 == 0 else "",
            ]
        )
    start = time.monotonic()
    with CaptureQueriesContext(connection) as ctx:
        result = import_residents(actor=None, upload=xlsx(RES_HEAD, rows))
    assert result.ok, result.errors[:3]
    assert len(ctx.captured_queries) < 150, len(ctx.captured_queries)
    assert time.monotonic() - start < 30
    assert Resident.objects.count() == 3000
    h = Household.objects.get(number="B00010")
    assert h.member_count == 3 and h.head.name == "居民30"


# --- department lists ---------------------------------------------------------------------


@pytest.mark.django_db
def test_department_list_report(territory, tags):
    from wangge.core.crypto import decrypt

    hh = make_household(territory.grid_a1, number="H1")
    a = make_resident(hh, name="张三")
    b = make_resident(hh, name="李四")
    other = make_household(territory.grid_b1, number="H2")
    c = make_resident(other, name="王五")
    chief = user_with_post(territory.village_a, "village_grid_chief")
    rows = [
        ["张三", decrypt(a.id_number_cipher), "23,000"],
        ["李四四", decrypt(b.id_number_cipher), ""],  # name differs → ambiguous
        ["赵六", valid_id_number(), ""],  # nobody
        ["王五", decrypt(c.id_number_cipher), ""],  # out of the chief's scope → unmatched
        ["钱七", "123", ""],  # invalid
    ]
    record, result = import_department_list(
        actor=chief,
        upload=xlsx(["姓名", "身份证号码", "自付金额"], rows),
        source="medical_insurance",
        tag=tags["high_medical_cost"],
    )
    assert result.ok
    assert (record.matched, record.unmatched, record.ambiguous, record.invalid) == (1, 2, 1, 1)
    assert [r["row"] for r in record.report if r["status"] == "unmatched"] == [4, 5]
    assert list(a.tags.values_list("code", flat=True)) == ["high_medical_cost"]
    assert not b.tags.exists() and not c.tags.exists()
    assert ListImport.objects.get().created_by == chief


@pytest.mark.django_db
def test_department_list_without_id_column(territory, tags):
    record, result = import_department_list(
        actor=None,
        upload=xlsx(["姓名", "金额"], [["张三", "1"]]),
        source="civil_affairs",
        tag=tags["dibao"],
    )
    assert record is None and not result.ok
    assert "身份证号" in result.errors[0].message
    assert not ListImport.objects.exists()


@pytest.mark.django_db
def test_concurrent_duplicate_rolls_back_everything(territory, tags, monkeypatch):
    """A household saved by someone else between the check and the write: nothing stays."""
    from django.db.models.query import QuerySet

    original = QuerySet.bulk_create

    def racing_bulk_create(self, objs, *args, **kwargs):
        if self.model is Household:
            make_household(territory.grid_a1, number="H2")
            monkeypatch.setattr(QuerySet, "bulk_create", original)
        return original(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", racing_bulk_create)
    rows = [["H1", "341204100201001", "a", "", ""], ["H2", "341204100201001", "b", "", ""]]
    result = import_households(actor=None, upload=xlsx(HH_HEAD, rows))
    assert not result.ok and result.errors[0].row is None
    assert not Household.objects.exists()
