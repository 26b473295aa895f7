import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.models import AuditEntry
from wangge.disclosure import services
from wangge.disclosure.choices import DecisionStage, DisclosureStatus, IssueStatus
from wangge.disclosure.models import Decision, DecisionStep, Disclosure, DisclosureItem
from wangge.disclosure.tests.helpers import passed_decision, published, reviewed_decision
from wangge.testing.factories import valid_id_number

pytestmark = pytest.mark.django_db


def test_default_items_seeded():
    items = DisclosureItem.objects.all()
    assert items.count() == 24
    assert set(items.values_list("category", flat=True)) == {
        "party",
        "village",
        "finance",
        "funds",
        "assets",
        "resources",
    }
    assert {
        "收支明细",
        "集体资产",
        "资源发包",
        "补贴发放名单",
        "低保对象",
        "党员发展",
        "党费收缴",
    } <= set(items.values_list("name", flat=True))


# --- disclosure workflow ---------------------------------------------------------------


def test_workflow_draft_submit_publish(territory, editor, reviewer, monthly_item):
    d = services.disclosure_create(
        actor=editor, village=territory.village_a, item=monthly_item, period="2026-10", body="x"
    )
    assert d.status == DisclosureStatus.DRAFT
    assert d.title == "程集村2026-10收支明细"
    services.disclosure_submit(actor=editor, disclosure=d)
    d = services.disclosure_publish(actor=reviewer, disclosure=d)
    assert d.status == DisclosureStatus.PUBLISHED and d.published_at
    verbs = set(
        AuditEntry.objects.filter(
            object_id=str(d.pk), object_type="disclosure.disclosure"
        ).values_list("verb", flat=True)
    )
    assert {"disclosure.create", "disclosure.submit", "disclosure.publish"} <= verbs


def test_return_with_reason_then_resubmit(territory, editor, reviewer, monthly_item):
    d = services.disclosure_create(
        actor=editor, village=territory.village_a, item=monthly_item, period="2026-10", body="x"
    )
    services.disclosure_submit(actor=editor, disclosure=d)
    with pytest.raises(DomainError):
        services.disclosure_return(actor=reviewer, disclosure=d, reason=" ")
    d = services.disclosure_return(actor=reviewer, disclosure=d, reason="缺少凭证")
    assert d.status == DisclosureStatus.RETURNED and d.return_reason == "缺少凭证"
    services.disclosure_update(actor=editor, disclosure=d, body="补充凭证")
    d = services.disclosure_submit(actor=editor, disclosure=d)
    assert d.status == DisclosureStatus.SUBMITTED


def test_publish_draft_refused(territory, editor, reviewer, monthly_item):
    d = services.disclosure_create(
        actor=editor, village=territory.village_a, item=monthly_item, period="2026-10", body="x"
    )
    with pytest.raises(TransitionNotAllowed):
        services.disclosure_publish(actor=reviewer, disclosure=d)
    assert Disclosure.objects.get(pk=d.pk).status == DisclosureStatus.DRAFT


def test_editor_cannot_review_and_published_cannot_change(
    territory, editor, reviewer, monthly_item
):
    d = services.disclosure_create(
        actor=editor, village=territory.village_a, item=monthly_item, period="2026-10", body="x"
    )
    services.disclosure_submit(actor=editor, disclosure=d)
    with pytest.raises(PermissionDenied):
        services.disclosure_publish(actor=editor, disclosure=d)
    services.disclosure_publish(actor=reviewer, disclosure=d)
    with pytest.raises(TransitionNotAllowed):
        services.disclosure_update(actor=editor, disclosure=d, body="改")


def test_reviewer_cannot_review_own_submission(territory, town_admin, monthly_item):
    d = services.disclosure_create(
        actor=town_admin, village=territory.village_a, item=monthly_item, period="2026-10", body="x"
    )
    services.disclosure_submit(actor=town_admin, disclosure=d)
    with pytest.raises(PermissionDenied):
        services.disclosure_publish(actor=town_admin, disclosure=d)


def test_period_must_match_item(territory, editor, monthly_item, quarterly_item):
    with pytest.raises(DomainError) as exc:
        services.disclosure_create(
            actor=editor, village=territory.village_a, item=monthly_item, period="2026-Q3"
        )
    assert exc.value.field == "period"
    with pytest.raises(DomainError):
        services.disclosure_create(
            actor=editor, village=territory.village_a, item=quarterly_item, period="2026-13"
        )
    d = services.disclosure_create(
        actor=editor, village=territory.village_a, item=quarterly_item, period="2026-q3"
    )
    assert d.period == "2026-Q3"
    with pytest.raises(DomainError):
        services.disclosure_create(
            actor=editor, village=territory.village_a, item=quarterly_item, period="2026-Q3"
        )


def test_editor_of_other_village_refused(territory, editor_b, monthly_item):
    with pytest.raises(PermissionDenied):
        services.disclosure_create(
            actor=editor_b, village=territory.village_a, item=monthly_item, period="2026-10"
        )


def test_id_numbers_masked_when_published(territory, editor, reviewer, quarterly_item):
    idn = valid_id_number()
    table = {"columns": ["姓名", "身份证号", "金额"], "rows": [["张三", idn, "300.00"]]}
    d = services.disclosure_create(
        actor=editor,
        village=territory.village_a,
        item=quarterly_item,
        period="2026-Q3",
        body=f"张三（{idn}）领取补贴",
        table=table,
    )
    services.disclosure_submit(actor=editor, disclosure=d)
    services.disclosure_publish(actor=reviewer, disclosure=d)
    d.refresh_from_db()
    masked = idn[:3] + "*" * 11 + idn[-4:]
    assert d.rows[0][1] == masked
    assert idn not in d.body and masked in d.body
    assert "300.00" in d.rows[0]


def test_table_shape_checked(territory, editor, monthly_item):
    with pytest.raises(DomainError) as exc:
        services.disclosure_create(
            actor=editor,
            village=territory.village_a,
            item=monthly_item,
            period="2026-10",
            table={"columns": ["a", "b"], "rows": [["1"]]},
        )
    assert exc.value.details == {"row": 1}


def _xlsx(rows) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "finance.xlsx"
    return buf


def test_import_finance_table(territory, editor, monthly_item):
    d = services.disclosure_create(
        actor=editor, village=territory.village_a, item=monthly_item, period="2026-10"
    )
    f = _xlsx(
        [
            ["日期", "摘要", "收入(元)", "支出(元)"],
            [dt.datetime(2026, 10, 3), "土地承包费", 12000, None],
            ["2026/10/15", "办公用品", None, "350.5"],
            [None, None, None, None],
        ]
    )
    d = services.disclosure_import_table(actor=editor, disclosure=d, file=f)
    assert d.columns == ["日期", "摘要", "收入(元)", "支出(元)"]
    assert d.rows == [
        ["2026-10-03", "土地承包费", "12000.00", None],
        ["2026-10-15", "办公用品", None, "350.50"],
    ]


def test_import_bad_cell_reports_row_and_column_and_saves_nothing(territory, editor, monthly_item):
    d = services.disclosure_create(
        actor=editor,
        village=territory.village_a,
        item=monthly_item,
        period="2026-10",
        table={"columns": ["old"], "rows": [["kept"]]},
    )
    f = _xlsx([["日期", "摘要", "收入(元)"], ["2026-10-01", "承包费", "一千元"]])
    with pytest.raises(DomainError) as exc:
        services.disclosure_import_table(actor=editor, disclosure=d, file=f)
    first = exc.value.details["errors"][0]
    assert (first["row"], first["column"]) == (2, "C") and first["error"]
    assert "2" in str(exc.value) and "C" in str(exc.value)
    d.refresh_from_db()
    assert d.table == {"columns": ["old"], "rows": [["kept"]]}


def test_import_not_xlsx(territory, editor, monthly_item):
    d = services.disclosure_create(
        actor=editor, village=territory.village_a, item=monthly_item, period="2026-10"
    )
    with pytest.raises(DomainError):
        services.disclosure_import_table(actor=editor, disclosure=d, file=io.BytesIO(b"nope"))


# --- decisions 四议两公开 ---------------------------------------------------------------------


def test_decision_full_path(territory, editor):
    d = passed_decision(village=territory.village_a, actor=editor)
    assert d.stage == DecisionStage.PASSED
    d = services.decision_publish_resolution(actor=editor, decision=d, resolution="同意修建")
    d = services.decision_publish_result(actor=editor, decision=d, result="已完工验收")
    assert d.stage == DecisionStage.RESULT_PUBLISHED
    assert list(d.steps.values_list("stage", flat=True)) == [
        "proposed",
        "discussed",
        "reviewed",
        "passed",
        "resolution_published",
        "result_published",
    ]


def test_stage_out_of_order_refused_nothing_changes(territory, editor, yesterday):
    d = services.decision_create(
        actor=editor, village=territory.village_a, title="村道", held_on=yesterday
    )
    with pytest.raises(TransitionNotAllowed):
        services.decision_advance(actor=editor, decision=d, stage="reviewed", held_on=yesterday)
    with pytest.raises(TransitionNotAllowed):
        services.decision_vote(
            actor=editor,
            decision=d,
            held_on=yesterday,
            representatives_total=30,
            attendance=25,
            votes_for=20,
            votes_against=0,
        )
    d.refresh_from_db()
    assert d.stage == DecisionStage.PROPOSED
    assert DecisionStep.objects.filter(decision=d).count() == 1


def test_publish_before_passed_refused(territory, editor):
    d = reviewed_decision(village=territory.village_a, actor=editor)
    with pytest.raises(TransitionNotAllowed):
        services.decision_publish_resolution(actor=editor, decision=d, resolution="x")
    with pytest.raises(TransitionNotAllowed):
        services.decision_publish_result(actor=editor, decision=d, result="x")
    d.refresh_from_db()
    assert d.stage == DecisionStage.REVIEWED and d.resolution == ""


def _vote(decision, actor, **kw):
    args = {
        "representatives_total": 30,
        "attendance": 25,
        "votes_for": 20,
        "votes_against": 3,
        "votes_abstain": 2,
        "held_on": timezone.localdate(),
    }
    args.update(kw)
    return services.decision_vote(actor=actor, decision=decision, **args)


def test_votes_more_than_attendance_refused(territory, editor):
    d = reviewed_decision(village=territory.village_a, actor=editor)
    with pytest.raises(DomainError) as exc:
        _vote(d, editor, attendance=20, votes_for=15, votes_against=4, votes_abstain=2)
    assert exc.value.code == "votes_exceed_attendance"
    d.refresh_from_db()
    assert d.stage == DecisionStage.REVIEWED and d.votes_for is None
    assert not d.steps.filter(stage__in=["passed", "rejected"]).exists()


def test_attendance_more_than_total_refused(territory, editor):
    d = reviewed_decision(village=territory.village_a, actor=editor)
    with pytest.raises(DomainError) as exc:
        _vote(d, editor, attendance=31)
    assert exc.value.code == "attendance_exceeds_total"


def test_quorum_not_reached_refused(territory, editor):
    d = reviewed_decision(village=territory.village_a, actor=editor)
    # 19 of 30 is less than two thirds (20)
    with pytest.raises(DomainError) as exc:
        _vote(d, editor, attendance=19, votes_for=19, votes_against=0, votes_abstain=0)
    assert exc.value.code == "quorum_not_reached"
    d.refresh_from_db()
    assert d.stage == DecisionStage.REVIEWED and d.attendance is None
    # exactly two thirds is enough
    d = _vote(d, editor, attendance=20, votes_for=11, votes_against=9, votes_abstain=0)
    assert d.stage == DecisionStage.PASSED


def test_simple_majority_of_present(territory, editor):
    d = reviewed_decision(village=territory.village_a, actor=editor)
    d = _vote(d, editor, attendance=24, votes_for=12, votes_against=10, votes_abstain=2)
    assert d.stage == DecisionStage.REJECTED  # 12 of 24 is not more than half
    with pytest.raises(TransitionNotAllowed):
        services.decision_publish_resolution(actor=editor, decision=d, resolution="x")


def test_configurable_majority_rule(territory, editor):
    d = reviewed_decision(
        village=territory.village_a, actor=editor, majority_rule="two_thirds_present"
    )
    d = _vote(d, editor, attendance=24, votes_for=15, votes_against=9, votes_abstain=0)
    assert d.stage == DecisionStage.REJECTED


def test_one_matter_needs_its_own_plan(territory, editor, yesterday):
    """一事一议 is not created through the 四议两公开 form: it has its own template."""
    with pytest.raises(DomainError) as exc:
        services.decision_create(
            actor=editor,
            village=territory.village_a,
            kind="one_matter",
            title="村内道路硬化筹资",
            held_on=yesterday,
        )
    assert exc.value.field == "kind"
    assert not Decision.objects.exists()


def test_decision_in_other_village_refused(territory, editor_b, yesterday):
    with pytest.raises(PermissionDenied):
        services.decision_create(
            actor=editor_b, village=territory.village_a, title="x", held_on=yesterday
        )


# --- issue ledger ----------------------------------------------------------------------------


def test_issue_answered_on_spot(territory, editor, yesterday):
    i = services.issue_create(
        actor=editor,
        village=territory.village_a,
        kind="finance",
        question="去年土地承包费去哪了？",
        answer="已入集体账户，见收支明细",
        raised_on=yesterday,
    )
    assert i.status == IssueStatus.ANSWERED


def test_issue_kept_until_crossed_off(territory, editor, yesterday):
    i = services.issue_create(
        actor=editor,
        village=territory.village_a,
        kind="government",
        question="路灯不亮",
        raised_on=yesterday,
        responsible="李四",
        deadline=yesterday + dt.timedelta(days=30),
    )
    assert i.status == IssueStatus.OPEN
    with pytest.raises(TransitionNotAllowed):
        services.issue_cross_off(actor=editor, issue=i)
    i = services.issue_rectify(actor=editor, issue=i, rectification="已更换灯泡")
    i = services.issue_reopen(actor=editor, issue=i, reason="仍有两盏不亮")
    assert i.status == IssueStatus.OPEN
    services.issue_rectify(actor=editor, issue=i, rectification="全部更换")
    i = services.issue_cross_off(actor=editor, issue=i)
    assert i.status == IssueStatus.CROSSED_OFF and i.crossed_off_at


def test_issue_needs_answer_or_follow_up(territory, editor, yesterday):
    with pytest.raises(DomainError):
        services.issue_create(
            actor=editor,
            village=territory.village_a,
            kind="party",
            question="?",
            raised_on=yesterday,
        )
    with pytest.raises(DomainError) as exc:
        services.issue_create(
            actor=editor,
            village=territory.village_a,
            kind="party",
            question="?",
            raised_on=yesterday,
            responsible="李四",
        )
    assert exc.value.field == "deadline"


def test_published_helper(territory, editor, reviewer, monthly_item):
    d = published(
        village=territory.village_a,
        item=monthly_item,
        period="2026-09",
        editor=editor,
        reviewer=reviewer,
    )
    assert d.status == "published"


# --- 述询评督 ----------------------------------------------------------------------------------


def test_supervision_report_becomes_case(territory):
    pytest.importorskip("wangge.cases.services")
    fb = services.feedback_submit(
        village=territory.village_a, kind="supervision", phone="13912345678", body="鱼塘发包"
    )
    assert fb.supervision_status == "case" and fb.case_id


def test_supervision_report_kept_pending_when_cases_refuse(territory, monkeypatch):
    def refuse(feedback):
        raise DomainError("no")

    monkeypatch.setattr(services, "_create_case", refuse)
    fb = services.feedback_submit(
        village=territory.village_a, kind="supervision", phone="13912345678", body="鱼塘发包"
    )
    assert fb.supervision_status == "pending" and fb.case_id is None


def test_feedback_on_unpublished_disclosure_refused(territory, editor, monthly_item):
    d = services.disclosure_create(
        actor=editor, village=territory.village_a, item=monthly_item, period="2026-10", body="x"
    )
    with pytest.raises(DomainError):
        services.feedback_submit(
            village=territory.village_a,
            kind="question",
            phone="13912345678",
            body="?",
            disclosure=d,
        )


def test_answer_needs_scope_and_only_once(territory, editor, editor_b):
    q = services.feedback_submit(
        village=territory.village_a, kind="question", phone="13912345678", body="?"
    )
    with pytest.raises(PermissionDenied):
        services.feedback_answer(actor=editor_b, feedback=q, answer="a")
    services.feedback_answer(actor=editor, feedback=q, answer="a")
    with pytest.raises(TransitionNotAllowed):
        services.feedback_answer(actor=editor, feedback=q, answer="b")
