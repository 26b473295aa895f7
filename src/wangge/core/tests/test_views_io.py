import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.areas.models import Area
from wangge.core.crypto import decrypt
from wangge.core.models import AuditEntry
from wangge.people.models import Household, ListImport, Tag
from wangge.people.services import tag_create
from wangge.testing.factories import (
    UserFactory,
    make_household,
    make_resident,
    user_with_post,
)

HH_HEAD = ["户编号", "网格代码", "地址", "联系电话", "标签(用、分隔)"]


def xlsx_upload(head, rows, name="upload.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue())


def read_xlsx(response) -> list[list]:
    data = b"".join(response.streaming_content)
    ws = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.fixture
def dibao(db):
    return Tag.objects.filter(code="dibao").first() or tag_create(
        actor=None, code="dibao", name="低保", target="both"
    )


@pytest.fixture
def chief(territory, client):
    user = user_with_post(territory.village_a, "village_grid_chief")
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_login_required(client):
    response = client.get(reverse("io:index"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_index_lists_what_the_user_may_do(territory, client, chief):
    response = client.get(reverse("io:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("io:import", args=["households"]) in body
    assert reverse("io:import", args=["list"]) in body
    assert reverse("io:import", args=["areas"]) not in body  # no manage_areas
    assert reverse("io:export", args=["residents"]) in body


@pytest.mark.django_db
def test_volunteer_gets_403(territory, client):
    client.force_login(user_with_post(territory.grid_a1, "volunteer"))
    assert client.get(reverse("io:index")).status_code == 403
    assert client.get(reverse("io:import", args=["households"])).status_code == 403
    assert client.get(reverse("io:export", args=["households"])).status_code == 403


@pytest.mark.django_db
def test_grid_worker_may_export_not_import(territory, client):
    client.force_login(user_with_post(territory.grid_a1, "grid_worker"))
    assert client.get(reverse("io:index")).status_code == 200
    assert client.get(reverse("io:import", args=["households"])).status_code == 403
    assert client.get(reverse("io:export", args=["households"])).status_code == 200


@pytest.mark.django_db
def test_unknown_kind_is_404(territory, client, chief):
    assert client.get(reverse("io:import", args=["cats"])).status_code == 404
    assert client.get("/io/template/cats.xlsx").status_code == 404
    assert client.get("/io/export/cats.xlsx").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["areas", "households", "residents", "list"])
def test_templates_download(territory, client, chief, kind):
    response = client.get(reverse("io:template", args=[kind, "xlsx"]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"]  # Chinese file name
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    headers = [c.value for c in ws[1]]
    assert {
        "areas": "上级代码",
        "households": "户编号",
        "residents": "身份证号",
        "list": "身份证号",
    }[kind] in headers
    response = client.get(reverse("io:template", args=[kind, "csv"]))
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.content.decode("utf-8-sig").splitlines()[0].split(",") == headers


@pytest.mark.django_db
def test_upload_good_household_file(territory, client, chief, dibao):
    upload = xlsx_upload(HH_HEAD, [["H1", "341204100201001", "程集村1组", "", "低保"]])
    response = client.post(reverse("io:import", args=["households"]), {"file": upload})
    assert response.status_code == 200
    assert Household.objects.get(number="H1").tags.get() == dibao
    assert 'id="import-result"' in response.content.decode()


@pytest.mark.django_db
def test_upload_bad_row_shows_row_and_column(territory, client, chief):
    upload = xlsx_upload(
        HH_HEAD,
        [
            ["H1", "341204100201001", "程集村1组", "", ""],
            ["H2", "341204100202001", "王庄村", "", ""],  # another village
        ],
    )
    response = client.post(reverse("io:import", args=["households"]), {"file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="import-errors"' in body
    assert '<td class="nowrap">3</td>' in body
    assert "B (网格代码)" in body
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_fake_and_oversized_files_are_refused(territory, client, chief, settings):
    png = SimpleUploadedFile("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    response = client.post(reverse("io:import", args=["households"]), {"file": png})
    assert response.status_code == 400
    assert 'id="import-errors"' in response.content.decode()
    settings.WANGGE_MAX_IMPORT_BYTES = 1000
    big = SimpleUploadedFile("big.csv", ("户编号,网格代码,地址\n" + "H,1,x\n" * 400).encode())
    response = client.post(reverse("io:import", args=["households"]), {"file": big})
    assert response.status_code == 400
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_department_list_upload_and_report(territory, client, chief, dibao):
    hh = make_household(territory.grid_a1, number="H1")
    a = make_resident(hh, name="张三")
    upload = xlsx_upload(
        ["序号", "姓名", "身份证号"],
        [[1, "张三", decrypt(a.id_number_cipher)], [2, "李四", "12345"]],
    )
    response = client.post(
        reverse("io:import", args=["list"]),
        {"file": upload, "source": "civil_affairs", "tag": "dibao"},
    )
    record = ListImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("io:list_report", args=[record.pk])
    assert (record.matched, record.invalid) == (1, 1)
    assert a.tags.get() == dibao
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "张三" in page.content.decode()
    rows = read_xlsx(client.get(reverse("io:list_report_xlsx", args=[record.pk])))
    assert rows[0][:4] == ["行号", "姓名", "身份证号", "结果"]
    assert [r[0] for r in rows[1:]] == [2, 3]
    assert decrypt(a.id_number_cipher) not in str(rows)
    # Someone else's report is not there.
    client.force_login(user_with_post(territory.village_a, "village_grid_chief"))
    assert client.get(reverse("io:list_report", args=[record.pk])).status_code == 404
    assert client.get(reverse("io:list_report_xlsx", args=[record.pk])).status_code == 404


@pytest.mark.django_db
def test_grid_worker_export_holds_only_their_grid(territory, client):
    hh_a1 = make_household(territory.grid_a1, number="A1-1")
    make_household(territory.grid_a2, number="A2-1")
    make_household(territory.grid_b1, number="B1-1")
    head = make_resident(hh_a1, name="张三", relation="head")
    worker = user_with_post(territory.grid_a1, "grid_worker")
    client.force_login(worker)
    rows = read_xlsx(client.get(reverse("io:export", args=["households"])))
    assert rows[0][0] == "户编号"
    assert [r[0] for r in rows[1:]] == ["A1-1"]
    assert rows[1][6] == "张三"
    assert rows[1][7] == head.id_number_masked
    rows = read_xlsx(client.get(reverse("io:export", args=["residents"])))
    assert [r[3] for r in rows[1:]] == ["张三"]
    full = decrypt(head.id_number_cipher)
    assert full not in str(rows) and rows[1][4] == head.id_number_masked
    entry = AuditEntry.objects.filter(verb="residents.export").get()
    assert entry.actor == worker and entry.data["rows"] == 1


@pytest.mark.django_db
def test_export_follows_list_filters(territory, client, chief):
    make_household(territory.grid_a1, number="A1-1")
    make_household(territory.grid_a2, number="A2-1")
    url = reverse("io:export", args=["households"]) + f"?area={territory.grid_a2.pk}"
    assert [r[0] for r in read_xlsx(client.get(url))[1:]] == ["A2-1"]
    url = reverse("io:export", args=["households"]) + "?q=A1"
    assert [r[0] for r in read_xlsx(client.get(url))[1:]] == ["A1-1"]
    # A filter pointing outside the scope adds nothing.
    url = reverse("io:export", args=["households"]) + f"?area={territory.village_b.pk}"
    assert read_xlsx(client.get(url))[1:] == []


@pytest.mark.django_db
def test_area_export_is_scoped_and_reimportable_columns(territory, client, chief):
    rows = read_xlsx(client.get(reverse("io:export", args=["areas"])))
    assert rows[0][:5] == ["上级代码", "名称", "代码", "类型", "边界GeoJSON(可选)"]
    codes = [r[2] for r in rows[1:]]
    assert codes == ["341204100201", "341204100201001", "341204100201002"]
    assert rows[2][3] == "网格" and rows[2][4].startswith('{"type":"Polygon"')
    assert AuditEntry.objects.filter(verb="areas.export").exists()


def _many_households(territory, n):
    tag = Tag.objects.filter(code="dibao").first() or tag_create(
        actor=None, code="dibao", name="低保", target="both"
    )
    start = Household.objects.count()
    objs = [
        Household(
            number=f"N{start + i:06d}",
            area=territory.grid_a1,
            grid=territory.grid_a1,
            area_path=territory.grid_a1.path,
            address="x",
        )
        for i in range(n)
    ]
    Household.objects.bulk_create(objs)
    ids = list(Household.objects.filter(number__startswith="N").values_list("id", flat=True))
    Household.tags.through.objects.bulk_create(
        [Household.tags.through(household_id=i, tag_id=tag.pk) for i in ids[-n:]]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["households", "residents", "areas"])
def test_export_query_count_is_flat(territory, client, chief, kind):
    url = reverse("io:export", args=[kind])
    _many_households(territory, 3)
    hh = Household.objects.first()
    make_resident(hh)
    client.get(url)  # warm caches (sessions, posts)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _many_households(territory, 300)
    for _i in range(30):
        make_resident(hh)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
        rows = read_xlsx(response)
    assert len(large.captured_queries) == len(small.captured_queries)
    if kind == "households":
        assert len(rows) == 1 + Household.objects.count()
        assert rows[-1][9] == "低保"


@pytest.mark.django_db
def test_superuser_sees_everything(territory, client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(reverse("io:import", args=["areas"]))
    assert response.status_code == 200
    rows = read_xlsx(client.get(reverse("io:export", args=["areas"])))
    assert len(rows) == 1 + Area.objects.count()
