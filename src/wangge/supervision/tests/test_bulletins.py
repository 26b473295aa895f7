import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.models import AuditEntry
from wangge.supervision import services
from wangge.supervision.bulletins import bulletin_xlsx_bytes
from wangge.supervision.choices import BulletinState
from wangge.supervision.models import Bulletin

pytestmark = pytest.mark.django_db

SECTIONS = {
    "ranking": [
        {
            "rank": 1,
            "village": "程集村",
            "village_code": "341204100201",
            "score": 92.5,
            "components": {"按时办结率": 95.0, "满意率": 90.0},
        },
        {
            "rank": 2,
            "village": "王庄村",
            "village_code": "341204100202",
            "score": 81.0,
            "components": {"按时办结率": 80.0, "满意率": 82.0},
        },
    ],
    "formula": "综合得分 = 按时办结率×50% + 满意率×50%",
    "praise": [{"name": "李网格", "role": "专职网格员", "reason": "按时办结12件", "points": 12}],
    "criticism": [
        {"name": "=HYPERLINK(1)", "role": "兼职网格员", "reason": "巡查缺勤", "points": -4}
    ],
}


@pytest.fixture
def scoring(monkeypatch):
    """The scoring app's bulletin_sections, replaced by a fixed answer."""
    calls = []

    def fake(*, user, area, start, end):
        calls.append((user, area, start, end))
        return SECTIONS

    import wangge.scoring.selectors as sel

    monkeypatch.setattr(sel, "bulletin_sections", fake, raising=False)
    return calls


@pytest.fixture
def no_scoring(monkeypatch):
    import wangge.scoring.selectors as sel

    monkeypatch.delattr(sel, "bulletin_sections", raising=False)


def _generate(actor, area, day=None):
    return services.bulletin_generate(
        actor=actor, area=area, kind="biweekly", day=day or dt.date(2026, 11, 4)
    )


def test_generate_freezes_sections(territory, town_admin, problem, scoring):
    b = _generate(town_admin, territory.town)
    assert (b.start, b.end) == (dt.date(2026, 11, 2), dt.date(2026, 11, 15))
    assert b.state == BulletinState.DRAFT
    assert scoring == [(town_admin, territory.town, b.start, b.end)]
    c = b.content
    assert c["scoring"]["available"] is True
    assert c["scoring"]["ranking"][0]["village"] == "程集村"
    assert c["scoring"]["formula"].startswith("综合得分")
    assert c["scoring"]["praise"][0]["name"] == "李网格"
    assert c["problems"]["total"] == 1
    assert c["problems"]["rows"][0]["description"].startswith("走访台账")
    labels = [r["key"] for r in c["kpis"]["rows"]]
    assert "received" in labels and "on_time_resolution_rate" in labels
    assert {r["name"] for r in c["areas"]["rows"]} == {"程集村", "王庄村"}


def test_generate_without_scoring_says_unavailable(territory, town_admin, no_scoring, client):
    b = _generate(town_admin, territory.town)
    assert b.content["scoring"] == {"available": False}
    client.force_login(town_admin)
    page = client.get(f"/supervision/bulletins/{b.pk}/").content.decode()
    assert "not available" in page or "暂无" in page or "不可用" in page


def test_kpis_agree_with_the_case_loop(territory, town_admin, scoring):
    from wangge.cases import kpis

    b = _generate(town_admin, territory.town)
    expected = kpis.kpis(area_path=territory.town.path, start=b.start, end=b.end).as_dict()
    assert b.content["kpis"]["raw"]["received"] == expected["received"]
    assert b.content["kpis"]["raw"]["resolved"] == expected["resolved"]


def test_only_towns_and_county_and_once_per_period(territory, town_admin, scoring):
    with pytest.raises(DomainError):
        _generate(town_admin, territory.village_a)
    _generate(town_admin, territory.town)
    with pytest.raises(DomainError):
        _generate(town_admin, territory.town, dt.date(2026, 11, 10))
    assert Bulletin.objects.count() == 1


def test_out_of_scope_cannot_generate(territory, supervisor_b, scoring):
    with pytest.raises(PermissionDenied):
        _generate(supervisor_b, territory.town)


def test_review_publish_and_publish_twice(territory, town_admin, scoring):
    b = _generate(town_admin, territory.town)
    with pytest.raises(TransitionNotAllowed):
        services.bulletin_publish(actor=town_admin, bulletin=b)
    services.bulletin_review(actor=town_admin, bulletin=b)
    services.bulletin_publish(actor=town_admin, bulletin=b)
    b.refresh_from_db()
    assert b.state == BulletinState.PUBLISHED and b.published_at
    before = (b.published_at, b.updated_at, b.content, AuditEntry.objects.count())
    with pytest.raises(TransitionNotAllowed) as exc:
        services.bulletin_publish(actor=town_admin, bulletin=b)
    assert "already published" in str(exc.value.message) or "已于" in str(exc.value.message)
    b.refresh_from_db()
    assert (b.published_at, b.updated_at, b.content, AuditEntry.objects.count()) == before


def test_published_bulletin_never_changes(
    territory, town_admin, supervisor, chief_a, problem, scoring, monkeypatch
):
    b = _generate(town_admin, territory.town)
    services.bulletin_review(actor=town_admin, bulletin=b)
    services.bulletin_publish(actor=town_admin, bulletin=b)
    b.refresh_from_db()
    frozen = b.content
    # The data moves on: the problem is dealt with, the scores change.
    services.problem_rectify(actor=chief_a, problem=problem, rectification="done")
    services.problem_verify(actor=supervisor, problem=problem)
    services.problem_cross_off(actor=supervisor, problem=problem)
    SECTIONS_changed = dict(SECTIONS, formula="changed")
    import wangge.scoring.selectors as sel

    monkeypatch.setattr(sel, "bulletin_sections", lambda **kw: SECTIONS_changed)
    for fn, kw in (
        (services.bulletin_update, {"title": "新标题"}),
        (services.bulletin_update, {"remarks": "按语"}),
        (services.bulletin_regenerate, {}),
        (services.bulletin_review, {}),
    ):
        with pytest.raises(TransitionNotAllowed):
            fn(actor=town_admin, bulletin=b, **kw)
    b.refresh_from_db()
    assert b.content == frozen
    assert b.content["problems"]["total"] == 1
    assert b.content["scoring"]["formula"].startswith("综合得分")
    assert b.title != "新标题"


def test_editing_a_reviewed_bulletin_needs_review_again(territory, town_admin, scoring):
    b = _generate(town_admin, territory.town)
    services.bulletin_review(actor=town_admin, bulletin=b)
    services.bulletin_update(actor=town_admin, bulletin=b, remarks="请各村对照整改。")
    b.refresh_from_db()
    assert b.state == BulletinState.DRAFT and b.remarks == "请各村对照整改。"
    with pytest.raises(DomainError):
        services.bulletin_update(actor=town_admin, bulletin=b, title="  ")


def test_xlsx_content(territory, town_admin, problem, scoring):
    b = _generate(town_admin, territory.town)
    wb = load_workbook(io.BytesIO(bulletin_xlsx_bytes(b)))
    names = wb.sheetnames
    assert len(names) == 6
    summary = [tuple(r) for r in wb[names[0]].iter_rows(values_only=True)]
    assert (summary[1][1]) == b.title
    ranking = [tuple(r) for r in wb[names[2]].iter_rows(values_only=True)]
    assert ranking[1][:4] == (1, "程集村", "341204100201", 92.5)
    assert ranking[1][4:6] == (95.0, 90.0)
    criticism = [tuple(r) for r in wb[names[4]].iter_rows(values_only=True)]
    # A name that looks like a formula stays text.
    assert criticism[1][0] == "=HYPERLINK(1)"
    assert wb[names[4]]["A2"].data_type == "s"
    problems = [tuple(r) for r in wb[names[5]].iter_rows(values_only=True)]
    assert problems[1][1].startswith("走访台账") and problems[1][2] == "村网格长甲"


def test_quarterly_period(territory, town_admin, scoring):
    b = services.bulletin_generate(
        actor=town_admin, area=territory.town, kind="quarterly", day=dt.date(2026, 8, 20)
    )
    assert (b.start, b.end) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))


def test_future_period_refused(territory, town_admin, scoring):
    with pytest.raises(DomainError):
        services.bulletin_generate(
            actor=town_admin,
            area=territory.town,
            kind="biweekly",
            day=timezone.localdate() + dt.timedelta(days=40),
        )
