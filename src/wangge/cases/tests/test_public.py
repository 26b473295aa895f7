import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wangge.cases import services
from wangge.cases.models import Case

from .conftest import IN_A1, JPEG

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def form_data(**extra):
    data = {
        "phone": PHONE,
        "name": "李四",
        "category": "environment",
        "description": "河边有人倒垃圾",
        "grid": "",
        "lat": IN_A1[0],
        "lng": IN_A1[1],
        "token": "tok-1",
    }
    data.update(extra)
    return data


def url(world, area=None):
    return f"/cases/report/{(area or world.t.village_a).code}/"


def test_form_renders_for_village_and_grid(client, world):
    r = client.get(url(world))
    assert r.status_code == 200
    html = r.content.decode()
    assert world.t.grid_a1.name in html and "navigator.geolocation" in html
    assert client.get(url(world, world.t.grid_b1)).status_code == 200
    assert client.get("/cases/report/000000000000/").status_code == 404
    assert client.get(f"/cases/report/{world.t.town.code}/").status_code == 404


def test_report_then_receipt_then_board(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = form_data(photos=SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg"))
    r = client.post(url(world), data)
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.source == "qr" and case.grid == world.t.grid_a1
    assert case.attachments.count() == 1
    assert r["Location"] == f"/cases/receipt/{case.tracking_code}/"
    r = client.get(r["Location"])
    html = r.content.decode()
    assert case.number in html and case.tracking_code in html and "<svg" in html
    assert PHONE not in html

    board = client.get(f"/t/{case.tracking_code}")
    assert board.status_code == 200
    html = board.content.decode()
    assert case.number in html
    assert PHONE not in html and "李四" not in html
    assert world.worker_a1.full_name not in html


def test_chosen_grid(client, world):
    r = client.post(url(world), form_data(grid=world.t.grid_a2.code, lat="", lng=""))
    assert r.status_code == 302
    assert Case.objects.get().grid == world.t.grid_a2


def test_double_submit_makes_one_case(client, world):
    client.post(url(world), form_data())
    r = client.post(url(world), form_data())
    assert r.status_code == 302
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    "change,field",
    [
        ({"phone": ""}, "phone"),
        ({"phone": "123"}, "phone"),
        ({"lat": "40.0", "lng": "116.4"}, "grid"),  # outside every grid
        ({"lat": "", "lng": ""}, "grid"),
        ({"category": "bogus"}, "category"),
        ({"description": "x" * 4001}, "description"),
    ],
)
def test_bad_input_shows_errors(client, world, change, field):
    r = client.post(url(world), form_data(**change))
    assert r.status_code == 400
    assert f'id="id_{field}_error"' in r.content.decode()
    assert not Case.objects.exists()


def test_non_image_photo_refused(client, world):
    bad = SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    r = client.post(url(world), form_data(photos=bad))
    assert r.status_code == 400
    assert not Case.objects.exists()


def test_rate_limit_per_phone(client, world):
    for i in range(5):
        assert client.post(url(world), form_data(token=f"t{i}")).status_code == 302
    r = client.post(url(world), form_data(token="t99"))
    assert r.status_code == 429
    assert Case.objects.count() == 5
    # another phone from another address still gets through
    r = client.post(
        url(world), form_data(token="t100", phone="13700000000"), REMOTE_ADDR="10.0.0.9"
    )
    assert r.status_code == 302


def test_rate_limit_per_ip(client, world, monkeypatch):
    monkeypatch.setattr("wangge.cases.public.REPORTS_PER_IP_PER_HOUR", 2)
    for i in range(2):
        client.post(url(world), form_data(token=f"t{i}", phone=f"1370000000{i}"))
    r = client.post(url(world), form_data(token="t9", phone="13700000009"))
    assert r.status_code == 429


def test_forged_code_is_404(client, db):
    assert client.get("/t/forged-code-0000").status_code == 404
    assert client.get("/cases/receipt/forged-code-0000/").status_code == 404


def test_rating_once_after_resolution(client, world, report):
    case = report()
    board = f"/t/{case.tracking_code}"
    assert "satisfaction" not in client.get(board).content.decode()
    assert client.post(board, {"satisfaction": "satisfied"}).status_code == 409
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_resolve(case=case, actor=world.worker_a1, resolution="已清理")
    html = client.get(board).content.decode()
    assert 'name="satisfaction"' in html and "已清理" in html
    r = client.post(board, {"satisfaction": "satisfied", "comment": "谢谢"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.public_satisfaction == "satisfied"
    html = client.get(board).content.decode()
    assert 'name="satisfaction"' not in html
    assert "您的评价：满意。谢谢！" in html  # one sentence, Chinese punctuation
    assert client.post(board, {"satisfaction": "unsatisfied"}).status_code == 409
    case.refresh_from_db()
    assert case.public_satisfaction == "satisfied"


def test_internal_notes_stay_internal(client, world, report):
    case = report()
    services.case_accept(case=case, actor=world.worker_a1)
    services.case_add_note(case=case, actor=world.worker_a1, note="内部：当事人情绪激动")
    services.case_add_note(case=case, actor=world.worker_a1, note="已联系环卫", is_public=True)
    html = client.get(f"/t/{case.tracking_code}").content.decode()
    assert "情绪激动" not in html and "已联系环卫" in html
