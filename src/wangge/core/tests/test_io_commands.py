import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from wangge.areas.models import Area
from wangge.core.crypto import decrypt
from wangge.people.models import Household, ListImport, Tag
from wangge.people.services import tag_create
from wangge.testing.factories import make_household, make_resident, user_with_post


def write_xlsx(path, head, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return str(path)


@pytest.mark.django_db
def test_cli_imports_areas_and_households(territory, tmp_path):
    areas = write_xlsx(
        tmp_path / "areas.xlsx",
        ["上级代码", "名称", "代码", "类型"],
        [["341204100201", "第三网格", "341204100201003", "网格"]],
    )
    out = io.StringIO()
    call_command("wangge_import", "areas", areas, stdout=out)
    assert "areas=1" in out.getvalue()
    assert Area.objects.filter(code="341204100201003").exists()
    path = tmp_path / "hh.csv"
    path.write_bytes("户编号,网格代码,地址\nH1,341204100201003,三组\n".encode("gb18030"))
    call_command("wangge_import", "households", str(path), stdout=io.StringIO())
    assert Household.objects.get().grid.code == "341204100201003"


@pytest.mark.django_db
def test_cli_reports_errors_and_fails(territory, tmp_path):
    path = write_xlsx(
        tmp_path / "hh.xlsx",
        ["户编号", "网格代码", "地址"],
        [["H1", "341204100201001", "x"], ["H2", "000", "y"]],
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("wangge_import", "households", path, stderr=err, language="en")
    assert "Row 3, column B (网格代码)" in err.getvalue()
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_cli_user_scope(territory, tmp_path):
    user_with_post(territory.village_a, "village_grid_chief", username="chief_a")
    path = write_xlsx(
        tmp_path / "hh.xlsx", ["户编号", "网格代码", "地址"], [["H1", "341204100202001", "x"]]
    )
    with pytest.raises(CommandError):
        call_command("wangge_import", "households", path, user="chief_a", stderr=io.StringIO())
    with pytest.raises(CommandError, match="no active user"):
        call_command("wangge_import", "households", path, user="nobody")


@pytest.mark.django_db
def test_cli_department_list(territory, tmp_path):
    tag = Tag.objects.filter(code="dibao").first() or tag_create(
        actor=None, code="dibao", name="低保", target="both"
    )
    hh = make_household(territory.grid_a1)
    r = make_resident(hh, name="张三")
    path = write_xlsx(
        tmp_path / "list.xlsx", ["姓名", "身份证号"], [["张三", decrypt(r.id_number_cipher)]]
    )
    out = io.StringIO()
    call_command("wangge_import", "list", path, source="civil_affairs", tag="dibao", stdout=out)
    assert ListImport.objects.get().matched == 1
    assert r.tags.get() == tag
    with pytest.raises(CommandError, match="--source"):
        call_command("wangge_import", "list", path, source="x", tag="dibao")


@pytest.mark.django_db
def test_cli_export(territory, tmp_path):
    make_household(territory.grid_a1, number="A1")
    make_household(territory.grid_b1, number="B1")
    user_with_post(territory.grid_b1, "grid_worker", username="worker_b1")
    target = tmp_path / "hh.xlsx"
    call_command("wangge_export", "households", "-o", str(target), stdout=io.StringIO())
    rows = list(openpyxl.load_workbook(target).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["A1", "B1"]
    call_command(
        "wangge_export",
        "households",
        "-o",
        str(target),
        "--user",
        "worker_b1",
        stdout=io.StringIO(),
    )
    rows = list(openpyxl.load_workbook(target).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["B1"]
    call_command(
        "wangge_export",
        "areas",
        "-o",
        str(target),
        "--area",
        "341204100202",
        stdout=io.StringIO(),
    )
    rows = list(openpyxl.load_workbook(target).active.iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == ["341204100202", "341204100202001", "341204100202002"]
