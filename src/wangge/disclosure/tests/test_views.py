import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from wangge.disclosure import services
from wangge.disclosure.choices import DecisionStage, DisclosureStatus
from wangge.disclosure.models import Decision, Disclosure
from wangge.disclosure.tests.helpers import published, reviewed_decision
from wangge.testing.factories import user_with_post

pytestmark = pytest.mark.django_db


def _draft(territory, editor, item, period="2026-10"):
    return services.disclosure_create(
        actor=editor, village=territory.village_a, item=item, period=period, body="x"
    )


def test_login_required(client):
    r = client.get(reverse("disclosure:list"))
    assert r.status_code == 302 and "login" in r["Location"]


def test_user_without_post_gets_404(client, territory):
    client.force_login(user_with_post(territory.grid_a1, "volunteer"))
    assert client.get(reverse("disclosure:list")).status_code == 404


def test_editor_of_other_village_gets_404(client, territory, editor, editor_b, monthly_item):
    d = _draft(territory, editor, monthly_item)
    client.force_login(editor_b)
    for name in ("detail", "edit", "import", "attach"):
        assert client.get(reverse(f"disclosure:{name}", args=[d.pk])).status_code == 404
    assert client.post(reverse("disclosure:submit", args=[d.pk])).status_code == 404
    assert client.post(reverse("disclosure:edit", args=[d.pk]), {"title": "x"}).status_code == 404
    d.refresh_from_db()
    assert d.status == DisclosureStatus.DRAFT and d.title != "x"
    # and it is not in the list
    r = client.get(reverse("disclosure:list"))
    assert r.status_code == 200 and d.title not in r.content.decode()


def test_create_submit_review_publish_through_views(
    client, territory, editor, reviewer, monthly_item
):
    client.force_login(editor)
    r = client.post(
        reverse("disclosure:create"),
        {
            "village": territory.village_a.pk,
            "item": monthly_item.pk,
            "period": "2026-10",
            "title": "",
            "body": "十月收支",
        },
    )
    d = Disclosure.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("disclosure:detail", args=[d.pk])
    # another village is not offered
    r = client.post(
        reverse("disclosure:create"),
        {"village": territory.village_b.pk, "item": monthly_item.pk, "period": "2026-10"},
    )
    assert r.status_code == 400 and Disclosure.objects.count() == 1
    client.post(reverse("disclosure:submit", args=[d.pk]))
    # the editor cannot publish
    assert client.post(reverse("disclosure:publish", args=[d.pk])).status_code == 404
    client.force_login(reviewer)
    r = client.get(reverse("disclosure:detail", args=[d.pk]))
    assert "publish" in r.content.decode()
    client.post(reverse("disclosure:publish", args=[d.pk]))
    d.refresh_from_db()
    assert d.status == DisclosureStatus.PUBLISHED


def test_return_through_view(client, territory, editor, reviewer, monthly_item):
    d = _draft(territory, editor, monthly_item)
    services.disclosure_submit(actor=editor, disclosure=d)
    client.force_login(reviewer)
    client.post(reverse("disclosure:return", args=[d.pk]), {"reason": "金额有误"})
    d.refresh_from_db()
    assert d.status == DisclosureStatus.RETURNED and d.return_reason == "金额有误"


def test_import_view_reports_bad_cell(client, territory, editor, monthly_item):
    import io

    from openpyxl import Workbook

    d = _draft(territory, editor, monthly_item)
    wb = Workbook()
    wb.active.append(["摘要", "金额"])
    wb.active.append(["承包费", "abc"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "t.xlsx"
    client.force_login(editor)
    r = client.post(reverse("disclosure:import", args=[d.pk]), {"file": buf})
    assert r.status_code == 400
    assert "B" in r.content.decode()
    d.refresh_from_db()
    assert d.table == {}


def test_completeness_lists_missing_items(client, territory, editor, reviewer, town_admin):
    from wangge.disclosure.models import DisclosureItem

    income = DisclosureItem.objects.get(code="income-expense")
    subsidy = DisclosureItem.objects.get(code="subsidy-list")
    for m in ("2026-07", "2026-08", "2026-09"):
        published(
            village=territory.village_a, item=income, period=m, editor=editor, reviewer=reviewer
        )
    published(
        village=territory.village_a,
        item=subsidy,
        period="2026-Q3",
        editor=editor,
        reviewer=reviewer,
    )
    client.force_login(town_admin)
    r = client.get(reverse("disclosure:completeness"), {"period": "2026-Q3"})
    assert r.status_code == 200
    text = r.content.decode()
    assert "王庄村" in text and "收支明细" in text  # village B misses everything
    from wangge.disclosure import selectors

    rows = {
        row.village.code: row
        for row in selectors.completeness(user=town_admin, period="2026-Q3", town=territory.town)
    }
    a, b = rows[territory.village_a.code], rows[territory.village_b.code]
    assert b.done == 0 and len(b.missing) == b.required
    missing_a = {(i.code, p) for i, p in a.missing}
    assert ("income-expense", "2026-08") not in missing_a
    assert ("subsidy-list", "2026-Q3") not in missing_a
    assert ("subsistence-allowance", "2026-Q3") in missing_a
    assert ("party-dues", "2026-Q3") in missing_a
    # annual items are not due in a quarter
    assert not any(p == "2026" for _, p in a.missing)


def test_completeness_scope(territory, editor_b):
    from wangge.disclosure import selectors

    rows = selectors.completeness(user=editor_b, period="2026-10")
    assert [r.village for r in rows] == [territory.village_b]


def test_statistics(client, territory, editor, reviewer, town_admin, monthly_item):
    published(
        village=territory.village_a,
        item=monthly_item,
        period="2026-01",
        editor=editor,
        reviewer=reviewer,
    )
    q1 = services.feedback_submit(
        village=territory.village_a, kind="question", phone="13900000001", body="?"
    )
    services.feedback_submit(
        village=territory.village_a, kind="question", phone="13900000001", body="??"
    )
    services.feedback_submit(
        village=territory.village_b, kind="question", phone="13900000002", body="?"
    )
    services.feedback_answer(actor=editor, feedback=q1, answer="a")
    d = reviewed_decision(village=territory.village_a, actor=editor)
    services.decision_vote(
        actor=editor,
        decision=d,
        held_on=timezone.localdate(),
        representatives_total=10,
        attendance=9,
        votes_for=9,
        votes_against=0,
    )
    i = services.issue_create(
        actor=editor,
        village=territory.village_a,
        kind="party",
        question="?",
        raised_on=timezone.localdate(),
        responsible="张",
        deadline=timezone.localdate(),
    )
    services.issue_rectify(actor=editor, issue=i, rectification="done")
    services.issue_cross_off(actor=editor, issue=i)
    from wangge.disclosure import selectors

    period = str(timezone.localdate().year)
    rows, total = selectors.statistics(user=town_admin, town=territory.town, period=period)
    a = next(r for r in rows if r.village == territory.village_a)
    assert (a.questions, a.answered, a.askers, a.decisions, a.issues_crossed_off) == (
        2,
        1,
        1,
        1,
        1,
    )
    assert total.questions == 3 and total.askers == 2
    client.force_login(town_admin)
    r = client.get(reverse("disclosure:statistics"), {"period": period})
    assert r.status_code == 200 and "程集村" in r.content.decode()


def test_decision_stage_forms(client, territory, editor):
    client.force_login(editor)
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    r = client.post(
        reverse("disclosure:decision_create"),
        {
            "village": territory.village_a.pk,
            "kind": "four",
            "title": "村集体鱼塘发包",
            "majority_rule": "simple_present",
            "quorum_rule": "two_thirds",
            "held_on": day,
        },
    )
    d = Decision.objects.get()
    assert r.status_code == 302
    url = reverse("disclosure:decision_detail", args=[d.pk])
    client.post(url, {"held_on": day})
    client.post(url, {"held_on": day})
    d.refresh_from_db()
    assert d.stage == DecisionStage.REVIEWED
    r = client.post(
        url,
        {
            "held_on": day,
            "representatives_total": 30,
            "attendance": 25,
            "votes_for": 20,
            "votes_against": 5,
            "votes_abstain": 1,
        },
    )
    assert r.status_code == 400 and "26" in r.content.decode()
    d.refresh_from_db()
    assert d.stage == DecisionStage.REVIEWED
    client.post(
        url,
        {
            "held_on": day,
            "representatives_total": 30,
            "attendance": 25,
            "votes_for": 20,
            "votes_against": 5,
            "votes_abstain": 0,
        },
    )
    client.post(url, {"text": "同意发包", "held_on": day})
    d.refresh_from_db()
    assert d.stage == DecisionStage.RESOLUTION_PUBLISHED


def test_decision_of_other_village_404(client, territory, editor, editor_b):
    d = reviewed_decision(village=territory.village_a, actor=editor)
    client.force_login(editor_b)
    url = reverse("disclosure:decision_detail", args=[d.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"held_on": timezone.localdate().isoformat()}).status_code == 404


def test_answer_question_view(client, territory, editor, editor_b):
    q = services.feedback_submit(
        village=territory.village_a, kind="question", phone="13900000001", body="路灯?"
    )
    client.force_login(editor_b)
    url = reverse("disclosure:feedback_answer", args=[q.pk])
    assert client.post(url, {"answer": "x"}).status_code == 404
    client.force_login(editor)
    assert client.get(reverse("disclosure:feedback_list")).status_code == 200
    client.post(url, {"answer": "下周修"})
    q.refresh_from_db()
    assert q.answer == "下周修"


def test_issue_views(client, territory, editor):
    client.force_login(editor)
    r = client.post(
        reverse("disclosure:issue_create"),
        {
            "village": territory.village_a.pk,
            "kind": "finance",
            "source": "dialogue",
            "raised_on": timezone.localdate().isoformat(),
            "question": "账目",
            "responsible": "会计",
            "deadline": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        },
    )
    assert r.status_code == 302
    from wangge.disclosure.models import FocalIssue

    i = FocalIssue.objects.get()
    client.post(reverse("disclosure:issue_rectify", args=[i.pk]), {"rectification": "已公示"})
    client.post(reverse("disclosure:issue_cross_off", args=[i.pk]))
    i.refresh_from_db()
    assert i.status == "crossed_off"
    assert client.get(reverse("disclosure:issue_list")).status_code == 200


def test_list_query_count(client, territory, editor, monthly_item, django_assert_max_num_queries):
    for m in range(1, 10):
        _draft(territory, editor, monthly_item, period=f"2026-0{m}")
    client.force_login(editor)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("disclosure:list")).status_code == 200
