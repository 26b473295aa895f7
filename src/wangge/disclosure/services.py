"""Writes of village transparency: disclosures 三务三资公开, decisions 四议两公开 / 一事一议,
residents' questions, ratings and supervision reports 述询评督, and the issue ledger 问题台账.

Every function is keyword-only, takes the actor, runs in one transaction, checks the state and
writes the audit row. `actor=None` is the system (demo data, console); residents acting on the
public page are anonymous and identified by their phone number only.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import re
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed

from . import periods, tables
from .choices import (
    EDITABLE_STATUSES,
    FEEDBACK_LIMIT_PER_IP,
    FEEDBACK_LIMIT_PER_PHONE,
    MAJORITY_THRESHOLDS,
    PUBLIC_DECISION_STAGES,
    PUBLIC_REFUSED_STAGES,
    QUORUM_THRESHOLDS,
    VOTING_BODY_QUORUM,
    Action,
    ContributionBasis,
    DecisionKind,
    DecisionStage,
    DisclosureStatus,
    FeedbackKind,
    IssueKind,
    IssueSource,
    IssueStatus,
    MajorityRule,
    ProjectKind,
    QuorumRule,
    SupervisionStatus,
    VotingBody,
    one_matter_caps,
    one_matter_notice_days,
)
from .models import (
    Decision,
    DecisionStep,
    Disclosure,
    DisclosureAttachment,
    DisclosureItem,
    Feedback,
    FocalIssue,
    OneMatterPlan,
)
from .selectors import can

logger = logging.getLogger(__name__)

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def _check(actor, action: str, path: str) -> None:
    """None is the system actor; anyone else needs a post covering the area for `action`."""
    if actor is None:
        return
    if not can(actor, action, path):
        raise PermissionDenied(_("You have no post covering this village for this action."))


def _text(value, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("This field is required."), field=field)
    if len(value) > max_length:
        raise DomainError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return value


def _village(area: Area) -> Area:
    if area is None or area.level != AreaLevel.VILLAGE:
        raise DomainError(_("Choose a village."), field="village")
    return area


def _lock(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


# --- disclosures 三务三资 -------------------------------------------------------------------


@transaction.atomic
def disclosure_create(
    *,
    actor,
    village: Area,
    item: DisclosureItem,
    period: str,
    title: str = "",
    body: str = "",
    table: dict | None = None,
) -> Disclosure:
    village = _village(village)
    _check(actor, Action.EDIT, village.path)
    if not item.is_active:
        raise DomainError(_("This item is no longer in use."), field="item")
    p = periods.parse(period)
    if p.kind != item.period_kind:
        raise DomainError(
            _("%(item)s is disclosed %(kind)s: the period must be one.")
            % {"item": item.name, "kind": item.get_period_kind_display()},
            field="period",
        )
    if Disclosure.objects.filter(village=village, item=item, period=str(p)).exists():
        raise DomainError(
            _("%(village)s already has a disclosure of %(item)s for %(period)s.")
            % {"village": village.name, "item": item.name, "period": str(p)},
            field="period",
        )
    disclosure = Disclosure.objects.create(
        village=village,
        area_path=village.path,
        item=item,
        period=str(p),
        title=_text(title, field="title", max_length=200) or f"{village.name}{p}{item.name}",
        body=_text(body, field="body", max_length=20000),
        table=tables.clean_table(table),
        created_by=actor,
    )
    audit(actor=actor, verb="disclosure.create", obj=disclosure, data={"period": str(p)})
    return disclosure


def _editable(disclosure: Disclosure) -> None:
    if disclosure.status not in EDITABLE_STATUSES:
        raise TransitionNotAllowed(
            _("A %(status)s disclosure cannot be changed.")
            % {"status": disclosure.get_status_display()}
        )


@transaction.atomic
def disclosure_update(
    *,
    actor,
    disclosure: Disclosure,
    title: str | None = None,
    body: str | None = None,
    table: dict | None = None,
) -> Disclosure:
    disclosure = _lock(Disclosure, disclosure)
    _check(actor, Action.EDIT, disclosure.area_path)
    _editable(disclosure)
    changed = []
    if title is not None:
        disclosure.title = _text(title, field="title", max_length=200, required=True)
        changed.append("title")
    if body is not None:
        disclosure.body = _text(body, field="body", max_length=20000)
        changed.append("body")
    if table is not None:
        disclosure.table = tables.clean_table(table)
        changed.append("table")
    disclosure.save(update_fields=[*changed, "updated_at"])
    audit(actor=actor, verb="disclosure.update", obj=disclosure, data={"fields": changed})
    return disclosure


@transaction.atomic
def disclosure_import_table(*, actor, disclosure: Disclosure, file) -> Disclosure:
    """Replace the table with the first sheet of an xlsx file (财务收支明细表 etc.). A bad cell
    raises a DomainError naming its row and column, and nothing is saved."""
    disclosure = _lock(Disclosure, disclosure)
    _check(actor, Action.EDIT, disclosure.area_path)
    _editable(disclosure)
    table = tables.read_xlsx(file)
    disclosure.table = table
    disclosure.save(update_fields=["table", "updated_at"])
    audit(
        actor=actor,
        verb="disclosure.import_table",
        obj=disclosure,
        data={"rows": len(table["rows"]), "file": getattr(file, "name", "")[:100]},
    )
    return disclosure


@transaction.atomic
def disclosure_attach(
    *, actor, disclosure: Disclosure, file, name: str = ""
) -> DisclosureAttachment:
    disclosure = _lock(Disclosure, disclosure)
    _check(actor, Action.EDIT, disclosure.area_path)
    _editable(disclosure)
    if getattr(file, "size", 0) > MAX_ATTACHMENT_BYTES:
        raise DomainError(_("The file is too large."), field="file")
    attachment = DisclosureAttachment.objects.create(
        disclosure=disclosure,
        file=file,
        name=_text(name or getattr(file, "name", ""), field="name", max_length=200)
        or _("attachment"),
    )
    audit(actor=actor, verb="disclosure.attach", obj=disclosure, data={"name": attachment.name})
    return attachment


@transaction.atomic
def disclosure_submit(*, actor, disclosure: Disclosure) -> Disclosure:
    """Draft (or returned) → submitted to the village supervision committee for review."""
    disclosure = _lock(Disclosure, disclosure)
    _check(actor, Action.EDIT, disclosure.area_path)
    if disclosure.status not in EDITABLE_STATUSES:
        raise TransitionNotAllowed(_("Only a draft or a returned disclosure can be submitted."))
    if not disclosure.body.strip() and not disclosure.rows:
        raise DomainError(_("A disclosure needs a text or a table before it is submitted."))
    disclosure.status = DisclosureStatus.SUBMITTED
    disclosure.submitted_by = actor
    disclosure.submitted_at = timezone.now()
    disclosure.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    audit(actor=actor, verb="disclosure.submit", obj=disclosure)
    return disclosure


def _check_reviewer(actor, disclosure: Disclosure) -> None:
    _check(actor, Action.REVIEW, disclosure.area_path)
    if disclosure.status != DisclosureStatus.SUBMITTED:
        raise TransitionNotAllowed(_("Only a submitted disclosure can be reviewed."))
    # Supervision means another pair of eyes.
    if actor is not None and disclosure.submitted_by_id == actor.pk:
        raise PermissionDenied(_("You cannot review a disclosure you submitted yourself."))


@transaction.atomic
def disclosure_return(*, actor, disclosure: Disclosure, reason: str) -> Disclosure:
    disclosure = _lock(Disclosure, disclosure)
    _check_reviewer(actor, disclosure)
    disclosure.return_reason = _text(reason, field="reason", max_length=500, required=True)
    disclosure.status = DisclosureStatus.RETURNED
    disclosure.reviewed_by = actor
    disclosure.reviewed_at = timezone.now()
    disclosure.save(
        update_fields=["status", "return_reason", "reviewed_by", "reviewed_at", "updated_at"]
    )
    audit(
        actor=actor,
        verb="disclosure.return",
        obj=disclosure,
        data={"reason": disclosure.return_reason},
    )
    return disclosure


@transaction.atomic
def disclosure_publish(*, actor, disclosure: Disclosure) -> Disclosure:
    """Submitted → published. ID numbers in the text and table are masked for good: the
    published version never holds a full ID number."""
    disclosure = _lock(Disclosure, disclosure)
    _check_reviewer(actor, disclosure)
    disclosure.body = tables.mask_text(disclosure.body)
    disclosure.table = tables.mask_table(disclosure.table)
    disclosure.status = DisclosureStatus.PUBLISHED
    disclosure.return_reason = ""
    disclosure.reviewed_by = actor
    disclosure.reviewed_at = disclosure.published_at = timezone.now()
    disclosure.save()
    audit(actor=actor, verb="disclosure.publish", obj=disclosure)
    return disclosure


# --- decisions 四议两公开 / 一事一议 ----------------------------------------------------------


def _held_on(value) -> dt.date:
    if not isinstance(value, dt.date):
        raise DomainError(_("The date of the meeting is required."), field="held_on")
    if value > timezone.localdate():
        raise DomainError(_("The meeting cannot be in the future."), field="held_on")
    return value


def _step(decision, stage, *, actor, held_on, notes="", document=None) -> DecisionStep:
    last = decision.steps.order_by("-held_on").first()
    if last is not None and held_on < last.held_on:
        raise DomainError(
            _("This stage cannot be dated before the previous one (%(date)s).")
            % {"date": last.held_on.isoformat()},
            field="held_on",
        )
    return DecisionStep.objects.create(
        decision=decision,
        stage=stage,
        held_on=held_on,
        notes=_text(notes, field="notes", max_length=10000),
        document=document or "",
        actor=actor,
    )


@transaction.atomic
def decision_create(
    *,
    actor,
    village: Area,
    title: str,
    held_on: dt.date,
    kind: str = DecisionKind.FOUR_DISCUSSIONS,
    summary: str = "",
    notes: str = "",
    document=None,
    amount: Decimal | None = None,
    majority_rule: str | None = None,
    quorum_rule: str | None = None,
) -> Decision:
    """The party branch proposes 党支部提议: the first stage."""
    village = _village(village)
    _check(actor, Action.DECIDE, village.path)
    if kind not in DecisionKind.values:
        raise DomainError(_("Unknown kind of decision."), field="kind")
    if kind == DecisionKind.ONE_MATTER:
        raise DomainError(
            _(
                "A one-matter-one-discussion project is proposed with its own plan: project, "
                "budget and contributions."
            ),
            field="kind",
        )
    if majority_rule and majority_rule not in MajorityRule.values:
        raise DomainError(_("Unknown majority rule."), field="majority_rule")
    if quorum_rule and quorum_rule not in QuorumRule.values:
        raise DomainError(_("Unknown quorum rule."), field="quorum_rule")
    if amount is not None and amount < 0:
        raise DomainError(_("The amount cannot be negative."), field="amount")
    decision = Decision(
        village=village,
        area_path=village.path,
        kind=kind,
        title=_text(title, field="title", max_length=200, required=True),
        summary=_text(summary, field="summary", max_length=20000),
        amount=amount,
        created_by=actor,
    )
    if majority_rule:
        decision.majority_rule = majority_rule
    if quorum_rule:
        decision.quorum_rule = quorum_rule
    decision.save()
    _step(
        decision,
        DecisionStage.PROPOSED,
        actor=actor,
        held_on=_held_on(held_on),
        notes=notes,
        document=document,
    )
    audit(actor=actor, verb="decision.propose", obj=decision, data={"kind": kind})
    return decision


def _money(value, *, field: str, required: bool = True) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise DomainError(_("This field is required."), field=field)
        return None
    try:
        value = Decimal(str(value))
    except (ArithmeticError, ValueError):
        raise DomainError(_("Enter an amount in yuan."), field=field) from None
    if not value.is_finite() or value < 0:
        raise DomainError(_("The amount cannot be negative."), field=field)
    if value >= Decimal("1e12"):
        raise DomainError(_("The amount is too large."), field=field)
    return value.quantize(Decimal("0.01"))


def _count(value, *, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DomainError(_("Enter a whole number, zero or more."), field=field)
    return value


@transaction.atomic
def one_matter_create(
    *,
    actor,
    village: Area,
    title: str,
    held_on: dt.date,
    project_kind: str,
    budget,
    basis: str,
    contribution,
    contributors: int,
    voting_body: str,
    other_funding=0,
    contribution_cap=None,
    labour_days: int = 0,
    labour_cap: int | None = None,
    labourers: int = 0,
    exemptions: str = "",
    summary: str = "",
    notes: str = "",
    document=None,
    majority_rule: str | None = None,
) -> Decision:
    """一事一议: the villagers' committee proposes a public-welfare project with its plan of
    contributions 筹资筹劳方案. What each person or household gives cannot pass the province's
    ceiling (nor the ceiling of labour days), the villagers never pay more than the budget less
    the other funding, and the meeting that votes sets the quorum: more than half of the adult
    villagers, or two thirds of the households or of the representatives."""
    village = _village(village)
    _check(actor, Action.DECIDE, village.path)
    if project_kind not in ProjectKind.values:
        raise DomainError(_("Choose the kind of project."), field="project_kind")
    if basis not in ContributionBasis.values:
        raise DomainError(_("Choose per person or per household."), field="basis")
    if voting_body not in VotingBody.values:
        raise DomainError(_("Choose the meeting that votes."), field="voting_body")
    if majority_rule and majority_rule not in MajorityRule.values:
        raise DomainError(_("Unknown majority rule."), field="majority_rule")
    title = _text(title, field="title", max_length=200, required=True)
    budget = _money(budget, field="budget")
    if budget <= 0:
        raise DomainError(_("The budget must be more than zero."), field="budget")
    other_funding = _money(other_funding, field="other_funding", required=False) or Decimal(0)
    contribution = _money(contribution, field="contribution")
    contributors = _count(contributors, field="contributors")
    labour_days = _count(labour_days or 0, field="labour_days")
    labourers = _count(labourers or 0, field="labourers")
    max_money, max_days = one_matter_caps(basis)
    cap = _money(contribution_cap, field="contribution_cap", required=False)
    cap = max_money if cap is None else cap
    if cap > max_money:
        raise DomainError(
            _("The ceiling cannot be above %(max)s yuan %(basis)s a year (the province's limit).")
            % {"max": max_money, "basis": ContributionBasis(basis).label},
            field="contribution_cap",
        )
    if contribution > cap:
        raise DomainError(
            _("%(amount)s yuan is above the ceiling of %(cap)s yuan %(basis)s a year.")
            % {"amount": contribution, "cap": cap, "basis": ContributionBasis(basis).label},
            field="contribution",
            code="above_cap",
        )
    if contribution > 0 and contributors == 0:
        raise DomainError(_("How many contribute?"), field="contributors")
    days_cap = max_days if labour_cap is None else _count(labour_cap, field="labour_cap")
    if days_cap > max_days:
        raise DomainError(
            _("The ceiling cannot be above %(max)d labour days a year (the province's limit).")
            % {"max": max_days},
            field="labour_cap",
        )
    if labour_days > days_cap:
        raise DomainError(
            _("%(days)d labour days is above the ceiling of %(cap)d a year.")
            % {"days": labour_days, "cap": days_cap},
            field="labour_days",
            code="above_cap",
        )
    if labour_days and not labourers:
        raise DomainError(_("How many labourers?"), field="labourers")
    if other_funding > budget:
        raise DomainError(_("The other funding is more than the budget."), field="other_funding")
    raised = contribution * contributors
    if raised > budget - other_funding:
        raise DomainError(
            _(
                "The villagers would pay %(raised)s yuan, more than the %(need)s yuan the "
                "budget leaves after other funding."
            )
            % {"raised": raised, "need": budget - other_funding},
            field="contribution",
            code="raised_exceeds_budget",
        )
    if raised == 0 and labour_days == 0:
        raise DomainError(
            _("A one-matter plan asks for money or labour: enter a contribution or labour days."),
            field="contribution",
        )
    decision = Decision(
        village=village,
        area_path=village.path,
        kind=DecisionKind.ONE_MATTER,
        title=title,
        summary=_text(summary, field="summary", max_length=20000),
        amount=budget,
        quorum_rule=VOTING_BODY_QUORUM[voting_body],
        created_by=actor,
    )
    if majority_rule:
        decision.majority_rule = majority_rule
    decision.save()
    plan = OneMatterPlan.objects.create(
        decision=decision,
        project_kind=project_kind,
        budget=budget,
        other_funding=other_funding,
        basis=basis,
        contribution=contribution,
        contribution_cap=cap,
        contributors=contributors,
        labour_days=labour_days,
        labour_cap=days_cap,
        labourers=labourers,
        exemptions=tables.mask_text(_text(exemptions, field="exemptions", max_length=500)),
        voting_body=voting_body,
    )
    _step(
        decision,
        DecisionStage.PROPOSED,
        actor=actor,
        held_on=_held_on(held_on),
        notes=notes,
        document=document,
    )
    audit(
        actor=actor,
        verb="decision.propose",
        obj=decision,
        data={
            "kind": DecisionKind.ONE_MATTER,
            "budget": str(budget),
            "contribution": str(contribution),
            "basis": basis,
            "cap": str(cap),
            "labour_days": labour_days,
            "voting_body": voting_body,
        },
    )
    decision.plan = plan
    return decision


def _stage_refused(decision: Decision, stage: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("A decision at stage “%(current)s” cannot go to “%(stage)s”.")
        % {
            "current": decision.template.label(decision.stage),
            "stage": decision.template.label(stage),
        }
    )


@transaction.atomic
def decision_advance(
    *, actor, decision: Decision, stage: str, held_on: dt.date, notes: str = "", document=None
) -> Decision:
    """A plain dated stage of the decision's template: for 四议两公开 the two committees discuss
    两委会商议, then the party members' meeting reviews 党员大会审议; for 一事一议 the plan is
    announced 提前公告 and, once adopted, approved by the town 乡镇审核. Only the next stage
    is allowed; none can be skipped."""
    decision = _lock(Decision, decision)
    _check(actor, Action.DECIDE, decision.area_path)
    template = decision.template
    if stage not in DecisionStage.values:
        raise DomainError(_("Unknown stage."), field="stage")
    if stage not in template.advance:
        raise TransitionNotAllowed(_("This stage is recorded through its own form."))
    if template.next_stage(decision.stage) != stage:
        raise _stage_refused(decision, stage)
    _step(decision, stage, actor=actor, held_on=_held_on(held_on), notes=notes, document=document)
    decision.stage = stage
    decision.save(update_fields=["stage", "updated_at"])
    audit(actor=actor, verb="decision.advance", obj=decision, data={"stage": stage})
    return decision


def _reaches(count: int, total: int, threshold) -> bool:
    fraction, strict = threshold
    return count * fraction.denominator > total * fraction.numerator or (
        not strict and count * fraction.denominator == total * fraction.numerator
    )


def _check_notice(decision: Decision, held_on: dt.date) -> None:
    """提前公告: the villagers' meeting on a 一事一议 plan is held at least
    WANGGE_ONE_MATTER_NOTICE_DAYS (7) days after the plan was announced."""
    days = one_matter_notice_days()
    announced = decision.steps.filter(stage=DecisionStage.ANNOUNCED).order_by("-held_on").first()
    if announced is None:
        return
    earliest = announced.held_on + dt.timedelta(days=days)
    if held_on < earliest:
        raise DomainError(
            _(
                "The plan must be announced at least %(days)d days before the villagers' "
                "meeting: it was announced on %(announced)s, so the meeting can vote on "
                "%(earliest)s at the earliest."
            )
            % {
                "days": days,
                "announced": announced.held_on.isoformat(),
                "earliest": earliest.isoformat(),
            },
            field="held_on",
            code="notice_too_short",
        )


@transaction.atomic
def decision_vote(
    *,
    actor,
    decision: Decision,
    held_on: dt.date,
    representatives_total: int,
    attendance: int,
    votes_for: int,
    votes_against: int,
    votes_abstain: int = 0,
    notes: str = "",
    document=None,
) -> Decision:
    """The villagers' representatives' meeting decides 村民代表会议决议: the quorum must be
    present and the votes cannot exceed those present; the majority rule then says passed or
    rejected. A refused vote changes nothing."""
    decision = _lock(Decision, decision)
    _check(actor, Action.DECIDE, decision.area_path)
    if decision.stage != decision.template.vote_after:
        if decision.is_one_matter:
            raise TransitionNotAllowed(
                _("The villagers vote only on a plan that has been announced beforehand.")
            )
        raise TransitionNotAllowed(
            _("The representatives vote only after the party members' meeting has reviewed it.")
        )
    numbers = {
        "representatives_total": representatives_total,
        "attendance": attendance,
        "votes_for": votes_for,
        "votes_against": votes_against,
        "votes_abstain": votes_abstain,
    }
    for name, value in numbers.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise DomainError(_("Enter a whole number, zero or more."), field=name)
    if representatives_total == 0:
        raise DomainError(
            _("The number of representatives is required."), field="representatives_total"
        )
    if attendance > representatives_total:
        raise DomainError(
            _("%(present)d present is more than the %(total)d representatives.")
            % {"present": attendance, "total": representatives_total},
            field="attendance",
            code="attendance_exceeds_total",
        )
    cast = votes_for + votes_against + votes_abstain
    if cast > attendance:
        raise DomainError(
            _("%(cast)d votes were counted but only %(present)d representatives were present.")
            % {"cast": cast, "present": attendance},
            field="votes_for",
            code="votes_exceed_attendance",
        )
    if not _reaches(attendance, representatives_total, QUORUM_THRESHOLDS[decision.quorum_rule]):
        raise DomainError(
            _(
                "Quorum not reached: %(present)d of %(total)d representatives present, "
                "the rule is %(rule)s. The meeting cannot decide."
            )
            % {
                "present": attendance,
                "total": representatives_total,
                "rule": QuorumRule(decision.quorum_rule).label,
            },
            field="attendance",
            code="quorum_not_reached",
        )
    if decision.is_one_matter:
        _check_notice(decision, _held_on(held_on))
    base = (
        representatives_total if decision.majority_rule == MajorityRule.SIMPLE_ALL else attendance
    )
    passed = _reaches(votes_for, base, MAJORITY_THRESHOLDS[decision.majority_rule])
    stage = DecisionStage.PASSED if passed else DecisionStage.REJECTED
    _step(decision, stage, actor=actor, held_on=_held_on(held_on), notes=notes, document=document)
    for name, value in numbers.items():
        setattr(decision, name, value)
    decision.voted_on = held_on
    decision.stage = stage
    decision.save()
    audit(actor=actor, verb="decision.vote", obj=decision, data={**numbers, "passed": passed})
    return decision


@transaction.atomic
def decision_town_refuse(
    *, actor, decision: Decision, reason: str, held_on: dt.date, notes: str = "", document=None
) -> Decision:
    """乡镇审核不同意: the town government refuses a 一事一议 plan the villagers' meeting
    passed, with its reason (the contribution is not reasonable, the project is not a
    public-welfare one, the ceiling or the procedure was not respected…). It is the
    counterpart of the town's approval and is recorded by whoever records that approval.

    The decision ends there, refused (TOWN_REFUSED), and can never be published or asked for
    money. This follows 村民一事一议筹资筹劳管理办法: the town reviews the plan *as the villagers
    adopted it*, and a plan it does not accept goes back to the villagers' committee to be
    deliberated again 重新议定. A changed plan is therefore a new plan that must again be
    proposed, announced in advance and voted on by the villagers; reopening this decision at
    the proposal stage would keep a vote on a plan that no longer exists. The refused
    decision stays on the record and, with the town's reason, on the village page."""
    decision = _lock(Decision, decision)
    _check(actor, Action.DECIDE, decision.area_path)
    if not decision.is_one_matter:
        raise TransitionNotAllowed(
            _("Only a one-matter-one-discussion plan is reviewed by the town government.")
        )
    if decision.stage != DecisionStage.PASSED:
        raise TransitionNotAllowed(
            _("The town government can refuse only a plan the villagers' meeting has passed.")
        )
    reason = tables.mask_text(_text(reason, field="reason", max_length=500, required=True))
    _step(
        decision,
        DecisionStage.TOWN_REFUSED,
        actor=actor,
        held_on=_held_on(held_on),
        notes=notes,
        document=document,
    )
    decision.refusal_reason = reason
    decision.stage = DecisionStage.TOWN_REFUSED
    decision.save(update_fields=["refusal_reason", "stage", "updated_at"])
    audit(actor=actor, verb="decision.town_refuse", obj=decision, data={"reason": reason})
    return decision


@transaction.atomic
def decision_publish_resolution(
    *, actor, decision: Decision, resolution: str, held_on: dt.date | None = None
) -> Decision:
    """决议公开: only a decision the representatives passed."""
    decision = _lock(Decision, decision)
    _check(actor, Action.DECIDE, decision.area_path)
    if decision.stage != decision.template.publish_after:
        if decision.is_one_matter:
            raise TransitionNotAllowed(
                _(
                    "Only a plan the villagers have passed and the town government has "
                    "approved can be published."
                )
            )
        raise TransitionNotAllowed(
            _("Only a decision the villagers' representatives have passed can be published.")
        )
    decision.resolution = tables.mask_text(
        _text(resolution, field="resolution", max_length=20000, required=True)
    )
    _step(
        decision,
        DecisionStage.RESOLUTION_PUBLISHED,
        actor=actor,
        held_on=_held_on(held_on or timezone.localdate()),
    )
    decision.stage = DecisionStage.RESOLUTION_PUBLISHED
    decision.resolution_published_at = timezone.now()
    decision.save()
    audit(actor=actor, verb="decision.publish_resolution", obj=decision)
    return decision


@transaction.atomic
def decision_publish_result(
    *, actor, decision: Decision, result: str, held_on: dt.date | None = None, document=None
) -> Decision:
    """结果公开: the implementation result, after the resolution."""
    decision = _lock(Decision, decision)
    _check(actor, Action.DECIDE, decision.area_path)
    if decision.stage != DecisionStage.RESOLUTION_PUBLISHED:
        raise TransitionNotAllowed(_("The result is published after the resolution."))
    decision.result = tables.mask_text(
        _text(result, field="result", max_length=20000, required=True)
    )
    _step(
        decision,
        DecisionStage.RESULT_PUBLISHED,
        actor=actor,
        held_on=_held_on(held_on or timezone.localdate()),
        document=document,
    )
    decision.stage = DecisionStage.RESULT_PUBLISHED
    decision.result_published_at = timezone.now()
    decision.save()
    audit(actor=actor, verb="decision.publish_result", obj=decision)
    return decision


# --- residents: 述询评督 ----------------------------------------------------------------------


def clean_mobile(phone: str) -> str:
    phone = re.sub(r"[\s-]", "", phone or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not MOBILE_RE.match(phone):
        raise DomainError(
            _("Enter a mainland China mobile number (11 digits starting with 1)."), field="phone"
        )
    return phone


def _rate_limit(key: str, limit: tuple[int, int]) -> None:
    count, seconds = limit
    if (cache.get(key) or 0) >= count:
        raise DomainError(
            _("Too many messages: please try again later."), code="rate_limited", field="phone"
        )


def _rate_count(key: str, limit: tuple[int, int]) -> None:
    if not cache.add(key, 1, timeout=limit[1]):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=limit[1])


def _create_case(feedback: Feedback):
    """Hand a supervision report 督 to the case loop (cases.services.case_report) as a report
    from the village page, placed on the village's first grid since a case lives in a grid.
    The signature is checked at call time: when the cases app cannot take it, the report stays
    pending and is never lost."""
    try:
        from wangge.cases.services import case_report
    except ImportError:
        return None
    grid = (
        Area.objects.filter(
            path__startswith=feedback.village.path, level=AreaLevel.GRID, is_active=True
        )
        .order_by("path")
        .first()
    )
    values = {
        "actor": None,
        "source": "qr",
        "title": _("Supervision report on village affairs"),
        "description": feedback.body,
        "area": grid,
        "reporter_name": feedback.name,
        "reporter_phone": feedback.phone,
    }
    params = inspect.signature(case_report).parameters
    if grid is None or not set(values) <= set(params):
        logger.warning("supervision report %s kept pending: cannot create a case", feedback.pk)
        return None
    return case_report(**values)


@transaction.atomic
def feedback_submit(
    *,
    village: Area,
    kind: str,
    phone: str,
    ip: str | None = None,
    body: str = "",
    rating: int | None = None,
    name: str = "",
    disclosure: Disclosure | None = None,
    decision: Decision | None = None,
) -> Feedback:
    """A resident asks 询, rates 评 or reports to the village supervision committee 督 from the
    public village page. Limited per phone number and per IP address."""
    village = _village(village)
    if kind not in FeedbackKind.values:
        raise DomainError(_("Unknown kind."), field="kind")
    phone = clean_mobile(phone)
    if disclosure is not None and (
        disclosure.village_id != village.pk or disclosure.status != DisclosureStatus.PUBLISHED
    ):
        raise DomainError(_("No such disclosure."), field="disclosure", code="not_found")
    if decision is not None and (
        decision.village_id != village.pk
        or decision.stage not in (*PUBLIC_DECISION_STAGES, *PUBLIC_REFUSED_STAGES)
    ):
        raise DomainError(_("No such decision."), field="decision", code="not_found")
    if disclosure is not None and decision is not None:
        raise DomainError(_("Choose a disclosure or a decision, not both."))
    if kind == FeedbackKind.RATING:
        if disclosure is None and decision is None:
            raise DomainError(_("Rate a disclosure or a decision."))
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise DomainError(_("Give a rating from 1 to 5."), field="rating")
        body = _text(body, field="body", max_length=1000)
    else:
        rating = None
        body = _text(body, field="body", max_length=1000, required=True)
    name = _text(name, field="name", max_length=30)

    phone_key, ip_key = f"disclosure:fb:phone:{phone}", f"disclosure:fb:ip:{ip or '-'}"
    _rate_limit(phone_key, FEEDBACK_LIMIT_PER_PHONE)
    if ip:
        _rate_limit(ip_key, FEEDBACK_LIMIT_PER_IP)

    feedback = Feedback.objects.create(
        village=village,
        area_path=village.path,
        kind=kind,
        disclosure=disclosure,
        decision=decision,
        phone=phone,
        name=name,
        body=tables.mask_text(body),
        rating=rating,
        ip=ip or None,
    )
    if kind == FeedbackKind.SUPERVISION:
        feedback.supervision_status = SupervisionStatus.PENDING
        try:
            with transaction.atomic():
                case = _create_case(feedback)
        except DomainError as exc:
            logger.warning("supervision report %s kept pending: %s", feedback.pk, exc)
            case = None
        if case is not None:
            feedback.supervision_status = SupervisionStatus.CASE_CREATED
            feedback.case_id = getattr(case, "pk", None)
            feedback.case_code = str(getattr(case, "tracking_code", "") or "")[:32]
        feedback.save(update_fields=["supervision_status", "case_id", "case_code"])
    _rate_count(phone_key, FEEDBACK_LIMIT_PER_PHONE)
    if ip:
        _rate_count(ip_key, FEEDBACK_LIMIT_PER_IP)
    audit(
        actor=None, verb=f"disclosure.feedback.{kind}", obj=feedback, data={"village": village.code}
    )
    return feedback


@transaction.atomic
def feedback_answer(*, actor, feedback: Feedback, answer: str) -> Feedback:
    """Staff answer a resident's question in public."""
    feedback = _lock(Feedback, feedback)
    _check(actor, Action.ANSWER, feedback.area_path)
    if feedback.kind != FeedbackKind.QUESTION:
        raise TransitionNotAllowed(_("Only a question can be answered."))
    if feedback.answered_at is not None:
        raise TransitionNotAllowed(_("This question has already been answered."))
    feedback.answer = tables.mask_text(
        _text(answer, field="answer", max_length=5000, required=True)
    )
    feedback.answered_by = actor
    feedback.answered_at = timezone.now()
    feedback.save(update_fields=["answer", "answered_by", "answered_at"])
    audit(actor=actor, verb="disclosure.feedback.answer", obj=feedback)
    return feedback


@transaction.atomic
def feedback_retry_case(*, actor, feedback: Feedback) -> Feedback:
    """Try again to turn a pending supervision report into a case."""
    feedback = _lock(Feedback, feedback)
    _check(actor, Action.ANSWER, feedback.area_path)
    if feedback.supervision_status != SupervisionStatus.PENDING:
        raise TransitionNotAllowed(_("Only a pending supervision report can become a case."))
    case = _create_case(feedback)
    if case is None:
        raise DomainError(_("Cases cannot be created yet."), code="cases_unavailable")
    feedback.supervision_status = SupervisionStatus.CASE_CREATED
    feedback.case_id = getattr(case, "pk", None)
    feedback.case_code = str(getattr(case, "tracking_code", "") or "")[:32]
    feedback.save(update_fields=["supervision_status", "case_id", "case_code"])
    audit(
        actor=actor, verb="disclosure.feedback.case", obj=feedback, data={"case": feedback.case_id}
    )
    return feedback


# --- focal-issue ledger 问题台账 ------------------------------------------------------------


@transaction.atomic
def issue_create(
    *,
    actor,
    village: Area,
    kind: str,
    question: str,
    raised_on: dt.date,
    source: str = IssueSource.DIALOGUE,
    raised_by: str = "",
    answer: str = "",
    responsible: str = "",
    deadline: dt.date | None = None,
) -> FocalIssue:
    """Record a question from a meeting or a face-to-face dialogue 当面对话. With an answer and
    no follow-up it is answered on the spot; otherwise it stays open with a responsible person
    and a deadline until it is rectified and crossed off 销号."""
    village = _village(village)
    _check(actor, Action.DECIDE, village.path)
    if kind not in IssueKind.values:
        raise DomainError(_("Unknown kind."), field="kind")
    if source not in IssueSource.values:
        raise DomainError(_("Unknown source."), field="source")
    raised_on = _held_on(raised_on)
    answer = _text(answer, field="answer", max_length=5000)
    responsible = _text(responsible, field="responsible", max_length=50)
    if responsible or deadline:
        if not responsible:
            raise DomainError(_("Name the person responsible."), field="responsible")
        if deadline is None:
            raise DomainError(_("Set a deadline."), field="deadline")
        if deadline < raised_on:
            raise DomainError(
                _("The deadline is before the question was raised."), field="deadline"
            )
        status = IssueStatus.OPEN
    elif answer:
        status = IssueStatus.ANSWERED
    else:
        raise DomainError(
            _("Answer it on the spot, or name a person responsible and a deadline."),
            field="answer",
        )
    issue = FocalIssue.objects.create(
        village=village,
        area_path=village.path,
        kind=kind,
        source=source,
        raised_on=raised_on,
        raised_by=_text(raised_by, field="raised_by", max_length=50),
        question=tables.mask_text(
            _text(question, field="question", max_length=5000, required=True)
        ),
        answer=tables.mask_text(answer),
        status=status,
        responsible=responsible,
        deadline=deadline,
        created_by=actor,
    )
    audit(actor=actor, verb="focal_issue.create", obj=issue, data={"status": status})
    return issue


@transaction.atomic
def issue_rectify(*, actor, issue: FocalIssue, rectification: str) -> FocalIssue:
    """整改: the responsible person reports what was done."""
    issue = _lock(FocalIssue, issue)
    _check(actor, Action.DECIDE, issue.area_path)
    if issue.status != IssueStatus.OPEN:
        raise TransitionNotAllowed(_("Only an open issue can be rectified."))
    issue.rectification = tables.mask_text(
        _text(rectification, field="rectification", max_length=5000, required=True)
    )
    issue.status = IssueStatus.RECTIFIED
    issue.rectified_at = timezone.now()
    issue.save(update_fields=["rectification", "status", "rectified_at"])
    audit(actor=actor, verb="focal_issue.rectify", obj=issue)
    return issue


@transaction.atomic
def issue_cross_off(*, actor, issue: FocalIssue) -> FocalIssue:
    """销号: the rectification is verified and the issue crossed off the ledger."""
    issue = _lock(FocalIssue, issue)
    _check(actor, Action.DECIDE, issue.area_path)
    if issue.status != IssueStatus.RECTIFIED:
        raise TransitionNotAllowed(_("Only a rectified issue can be crossed off."))
    issue.status = IssueStatus.CROSSED_OFF
    issue.crossed_off_at = timezone.now()
    issue.crossed_off_by = actor
    issue.save(update_fields=["status", "crossed_off_at", "crossed_off_by"])
    audit(actor=actor, verb="focal_issue.cross_off", obj=issue)
    return issue


@transaction.atomic
def issue_reopen(*, actor, issue: FocalIssue, reason: str) -> FocalIssue:
    """The rectification is not good enough: back to open."""
    issue = _lock(FocalIssue, issue)
    _check(actor, Action.DECIDE, issue.area_path)
    if issue.status != IssueStatus.RECTIFIED:
        raise TransitionNotAllowed(_("Only a rectified issue can be sent back."))
    reason = _text(reason, field="reason", max_length=500, required=True)
    issue.status = IssueStatus.OPEN
    issue.rectified_at = None
    issue.save(update_fields=["status", "rectified_at"])
    audit(actor=actor, verb="focal_issue.reopen", obj=issue, data={"reason": reason})
    return issue
