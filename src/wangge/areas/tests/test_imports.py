import io
import json

import openpyxl
import pytest

from wangge.areas.imports import import_areas
from wangge.areas.models import Area
from wangge.core.models import AuditEntry
from wangge.testing.factories import square, user_with_post

HEAD = ["上级代码", "名称", "代码", "类型", "边界GeoJSON(可选)"]


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English here; Chinese is the default (see test_chinese_*)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def xlsx(rows, head=HEAD) -> io.BytesIO:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "areas.xlsx"
    return buf


@pytest.mark.django_db
def test_import_whole_tree_with_parents_in_file_in_any_order():
    data = xlsx(
        [
            [
                "341204100201",
                "第一网格",
                "341204100201001",
                "网格",
                json.dumps(square(115.8, 32.9)),
            ],
            ["341204100000", "程集村", "341204100201", "村", ""],
            ["341204000000", "程集镇", "341204100000", "乡镇/街道", ""],
            ["", "颍州区", "341204000000", "县/区/旗", ""],
            ["341204100201001", "张庄组", "34120410020100101", "微网格", ""],
            ["341204100201", "工业园", "341204100201002", "企业网格", ""],
        ]
    )
    result = import_areas(actor=None, upload=data)
    assert result.ok, result.errors
    assert result.created == {"areas": 6}
    grid = Area.objects.get(code="341204100201001")
    assert grid.level == "grid" and grid.parent.code == "341204100201"
    assert grid.boundary["type"] == "Polygon" and grid.centroid_lat
    assert Area.objects.get(code="34120410020100101").level == "microgrid"
    assert Area.objects.get(code="341204100201002").kind == "enterprise"
    entry = AuditEntry.objects.get(verb="areas.import")
    assert entry.data["created"] == 6


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row, column, needle",
    [
        (["341204100201", "第三网格", "341204100201003", "网格", "{not json"], "E", "GeoJSON"),
        (
            [
                "341204100201",
                "第三网格",
                "341204100201003",
                "网格",
                '{"type": "Point", "coordinates": [1, 2]}',
            ],
            "E",
            "polygon",
        ),
        (["341204100201", "第三网格", "34120410020", "网格", ""], "C", "15"),
        (["341204100201", "第三网格", "341204100299003", "网格", ""], "C", "341204100201"),
        (["341204100201", "第三网格", "341204100201001", "网格", ""], "C", "341204100201001"),
        (["341204100201", "第一网格", "341204100201003", "网格", ""], "B", "第一网格"),
        (["999999999999", "第三网格", "999999999999003", "网格", ""], "A", "999999999999"),
        (["341204100201", "第三网格", "341204100201003", "村", ""], "D", "村"),
        (["341204100201", "第三网格", "341204100201003", "大队", ""], "D", "大队"),
        (["341204100201", "", "341204100201003", "网格", ""], "B", ""),
    ],
)
def test_one_bad_row_imports_nothing(territory, row, column, needle):
    before = Area.objects.count()
    good = ["341204100202", "第三网格", "341204100202003", "网格", ""]
    result = import_areas(actor=None, upload=xlsx([good, row]))
    assert not result.ok
    assert Area.objects.count() == before
    assert len(result.errors) == 1, result.errors
    err = result.errors[0]
    assert (err.row, err.column) == (3, column)
    assert err.header == HEAD["ABCDE".index(column)]
    assert needle in err.message


@pytest.mark.django_db
def test_duplicates_inside_the_file(territory):
    rows = [
        ["341204100201", "第三网格", "341204100201003", "", ""],
        ["341204100201", "第三网格", "341204100201003", "", ""],
    ]
    result = import_areas(actor=None, upload=xlsx(rows))
    assert {(e.row, e.column) for e in result.errors} == {(3, "B"), (3, "C")}
    assert "row 2" in result.errors[0].message or "第2行" in result.errors[0].message


@pytest.mark.django_db
def test_missing_column_imports_nothing(territory):
    result = import_areas(actor=None, upload=xlsx([["x", "y"]], head=["上级代码", "名称"]))
    assert not result.ok
    assert result.errors[0].row == 1
    assert "代码" in result.errors[0].message


@pytest.mark.django_db
def test_town_office_cannot_import_into_another_town(territory):
    from wangge.testing.factories import make_area

    other_town = make_area(territory.county, "袁集镇", "341204101000")
    office = user_with_post(territory.town, "town_admin")
    own = ["341204100201", "第三网格", "341204100201003", "网格", ""]
    other = ["341204101000", "袁集村", "341204101201", "村", ""]
    result = import_areas(actor=office, upload=xlsx([own, other]))
    assert [(e.row, e.column) for e in result.errors] == [(3, "A")]
    assert not Area.objects.filter(code="341204100201003").exists()
    assert not Area.objects.filter(parent=other_town).exists()
    result = import_areas(actor=office, upload=xlsx([own]))
    assert result.ok
    assert Area.objects.get(code="341204100201003").parent == territory.village_a


@pytest.mark.django_db
def test_village_chief_may_not_import_areas(territory):
    """Creating areas needs manage_areas, which a village grid chief does not hold."""
    from wangge.core.errors import PermissionDenied

    chief = user_with_post(territory.village_a, "village_grid_chief")
    with pytest.raises(PermissionDenied):
        import_areas(actor=chief, upload=xlsx([]))


@pytest.mark.django_db
def test_only_global_scope_adds_a_county(territory):
    chief = user_with_post(territory.town, "town_admin")
    result = import_areas(actor=chief, upload=xlsx([["", "新区", "341205000000", "", ""]]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "A")]


@pytest.mark.django_db
def test_user_without_import_capability_is_refused(territory):
    from wangge.core.errors import PermissionDenied

    worker = user_with_post(territory.grid_a1, "grid_worker")
    with pytest.raises(PermissionDenied):
        import_areas(actor=worker, upload=xlsx([]))


@pytest.mark.django_db
def test_chinese_messages_by_default(territory):
    from django.utils import translation

    with translation.override("zh-hans"):
        result = import_areas(
            actor=None, upload=xlsx([["999999999999", "第三网格", "999999999999003", "", ""]])
        )
    message = result.errors[0].message
    assert "999999999999" in message and not message.isascii()
