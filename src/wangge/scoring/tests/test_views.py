import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.core.events import emit
from wangge.scoring import services
from wangge.scoring.models import Admonishment, Assessment, PointEntry, PointRule

from .conftest import patrol

pytestmark = pytest.mark.django_db
SEPT = (dt.date(2025, 9, 1), dt.date(2025, 9, 30))


def _grow(world, start, n):
    for i in range(start, start + n):
        emit(
            "fieldwork.patrol.finished", patrol=patrol(i, world.worker_a1, world.t.grid_a1), at=None
        )
        emit(
            "fieldwork.patrol.finished", patrol=patrol(i, world.worker_b1, world.t.grid_b1), at=None
        )
        services.entry_create_manual(
            actor=None,
            rule=PointRule.objects.get(code="admonishment"),
            subject_id=world.worker_b1.pk,
            reason="未按时巡查",
            day=dt.date(2025, 9, 1),
        )
    Assessment.objects.all().delete()
    services.assess_period("month", *SEPT)


def _queries(client, url):
    client.get(url)  # steady state: after new rows the first request re-reads cached posts/users
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, url
    return len(ctx.captured_queries)


def test_my_points_on_the_phone(client, world):
    _grow(world, 1, 2)
    client.force_login(world.worker_a1)
    r = client.get("/points/")
    html = r.content.decode()
    assert r.status_code == 200
    assert html.count("data-entry=") == 2
    assert "2025-09-29" in html
    # Nothing of the others, no town links.
    assert world.worker_b1.full_name not in html
    assert "/points/ranking/" not in html


@pytest.mark.parametrize(
    "url",
    [
        "/points/",
        "/points/ledger/",
        "/points/assessments/",
        "/points/admonishments/",
        "/points/ranking/",
        "/points/commendations/?kind=month",
        "/points/rules/",
    ],
)
def test_pages_query_counts_are_flat(client, world, url):
    client.force_login(world.town_admin)
    _grow(world, 1, 2)
    few = _queries(client, url)
    _grow(world, 100, 6)
    assert _queries(client, url) == few


def test_scope_404(client, world):
    _grow(world, 1, 5)
    a = Assessment.objects.get(
        period_kind="month", subject_kind="user", subject_id=world.worker_b1.pk
    )
    e = PointEntry.objects.filter(subject_id=world.worker_b1.pk).first()
    adm = Admonishment.objects.get(assessment=a)
    client.force_login(world.chief_a)
    assert client.get(f"/points/assessments/{a.pk}/").status_code == 404
    assert client.get(f"/points/entries/{e.pk}/").status_code == 404
    assert client.get(f"/points/admonishments/{adm.pk}/").status_code == 404
    html = client.get("/points/ledger/").content.decode()
    assert world.worker_b1.full_name not in html and world.worker_a1.full_name in html
    client.force_login(world.worker_a1)
    for url in (
        "/points/ranking/",
        "/points/assessments/",
        "/points/ledger/",
        "/points/entries/new/",
    ):
        assert client.get(url).status_code == 404


def test_manual_and_reversing_entry_forms(client, world):
    client.force_login(world.town_admin)
    rule = PointRule.objects.get(code="commendation")
    r = client.post(
        "/points/entries/new/", {"rule": rule.pk, "subject_id": world.worker_a1.pk, "reason": ""}
    )
    assert r.status_code == 200 and PointEntry.objects.count() == 0
    r = client.post(
        "/points/entries/new/",
        {"rule": rule.pk, "subject_id": world.worker_a1.pk, "reason": "表现突出"},
    )
    e = PointEntry.objects.get()
    assert r.status_code == 302
    r = client.post(f"/points/entries/{e.pk}/", {"reason": ""})
    assert r.status_code == 200 and PointEntry.objects.count() == 1
    client.post(f"/points/entries/{e.pk}/", {"reason": "重复记分"})
    assert PointEntry.objects.get(reverses=e).points == -e.points


def test_talk_form_and_exports(client, world):
    _grow(world, 1, 5)
    adm = Admonishment.objects.get()
    client.force_login(world.town_admin)
    r = client.post(
        f"/points/admonishments/{adm.pk}/",
        {"talked_at": "2025-10-08T10:00", "notes": "", "follow_up": ""},
    )
    assert r.status_code == 200
    adm.refresh_from_db()
    assert adm.talked_at is None
    r = client.post(
        f"/points/admonishments/{adm.pk}/",
        {"talked_at": "2025-10-08T10:00", "notes": "谈话记录", "follow_up": "复查"},
    )
    assert r.status_code == 302
    adm.refresh_from_db()
    assert adm.talked_by == world.town_admin
    r = client.get("/points/admonishments/")
    assert "谈" in r.content.decode() or world.worker_b1.full_name in r.content.decode()
    for url in ("/points/ranking/?export=xlsx", "/points/assessments/?export=xlsx"):
        r = client.get(url)
        assert r.status_code == 200 and r["Content-Type"].startswith(
            "application/vnd.openxmlformats"
        )
        assert r.content[:2] == b"PK"
    html = client.get("/points/ranking/").content.decode()
    assert 'id="formula"' in html and world.t.village_a.name in html


def test_rule_pages(client, world):
    client.force_login(world.town_admin)
    assert client.get("/points/rules/new/").status_code == 404  # the county's business
    client.force_login(world.county_admin)
    r = client.post(
        "/points/rules/new/",
        {"code": "x", "name": "", "subject_kind": "user", "points": "1", "trigger": "manual"},
    )
    assert r.status_code == 200 and not PointRule.objects.filter(code="x").exists()
    r = client.post(
        "/points/rules/new/",
        {
            "code": "x",
            "name": "测试",
            "subject_kind": "user",
            "points": "1",
            "trigger": "manual",
            "is_active": "on",
        },
    )
    assert r.status_code == 302 and PointRule.objects.filter(code="x", is_active=True).exists()


def test_settings_and_bundle_links(client, world):
    from wangge.scoring.models import AssessmentSettings, BundleLink

    client.force_login(world.chief_a)
    assert client.get("/points/settings/").status_code == 200
    assert client.post("/points/settings/", {"action": "sync"}).status_code == 404
    client.force_login(world.town_admin)
    # The town office cannot change the county's settings, but links its villages.
    client.post(
        "/points/settings/",
        {
            "action": "settings",
            "base_score": "90",
            "threshold": "70",
            "share_stationed_cadre": "1",
            "share_secretary": "1",
            "share_town_grid_chief": "1",
            "share_committee": "1",
        },
    )
    assert AssessmentSettings.get().base_score == 100
    r = client.post(
        "/points/settings/",
        {
            "action": "link",
            "village": world.t.village_a.pk,
            "user_id": world.worker_a2.pk,
            "kind": "committee",
        },
    )
    assert r.status_code == 302
    link = BundleLink.objects.get(user=world.worker_a2)
    assert (link.kind, link.area_path) == ("committee", world.t.village_a.path)
    client.post("/points/settings/", {"action": "disable", "link": link.pk})
    link.refresh_from_db()
    assert not link.is_active
    client.force_login(world.county_admin)
    r = client.post(
        "/points/settings/",
        {
            "action": "settings",
            "base_score": "90",
            "threshold": "70",
            "share_stationed_cadre": "101",
            "share_secretary": "1",
            "share_town_grid_chief": "1",
            "share_committee": "1",
        },
    )
    assert r.status_code == 200 and AssessmentSettings.get().base_score == 100
    client.post(
        "/points/settings/",
        {
            "action": "settings",
            "base_score": "90",
            "threshold": "70",
            "share_stationed_cadre": "25",
            "share_secretary": "1",
            "share_town_grid_chief": "1",
            "share_committee": "1",
        },
    )
    conf = AssessmentSettings.get()
    assert (conf.base_score, conf.threshold, conf.share_stationed_cadre) == (90, 70, 25)
    client.post("/points/settings/", {"action": "sync"})
    assert BundleLink.objects.filter(user=world.chief_a, kind="secretary").exists()


def test_source_links():
    import datetime as dt
    from types import SimpleNamespace as S

    from wangge.scoring.selectors import source_url

    assert source_url(S(source_type="cases.case", source_id=3)) == "/cases/3/"
    day = dt.date(2025, 9, 2)
    assert source_url(S(source_type="fieldwork.dailyreport", source_id=3, event_day=day)).endswith(
        "/2025-09-02/"
    )
    assert source_url(S(source_type="", source_id=None)) is None
    assert source_url(S(source_type="party.need", source_id=3)) is None
