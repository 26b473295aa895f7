"""Staff pages of village transparency: login, scope-filtered, out of scope → 404.

Views parse input and call services; a DomainError becomes a message on the page.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import DomainError
from wangge.core.excel import XLSX_CONTENT_TYPE

from . import exports, periods, selectors, services
from .choices import EDITABLE_STATUSES, Action, DecisionStage, FeedbackKind
from .filters import DecisionFilter, DisclosureFilter, FeedbackFilter, IssueFilter
from .forms import (
    AnswerForm,
    AttachmentForm,
    DecisionCreateForm,
    DisclosureCreateForm,
    DisclosureEditForm,
    IssueCreateForm,
    OneMatterCreateForm,
    OneMatterVoteForm,
    PeriodForm,
    PublishTextForm,
    ReasonForm,
    RectifyForm,
    ReturnForm,
    StageForm,
    TableGrid,
    TableImportForm,
    TownRefuseForm,
    VoteForm,
)

PAGE_SIZE = 50


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _fail(request, form, exc: DomainError) -> None:
    if form is not None and exc.field and exc.field in form.fields:
        form.add_error(exc.field, str(exc.message))
    elif form is not None:
        form.add_error(None, str(exc.message))
    else:
        messages.error(request, str(exc.message))


def _require_any(user, action) -> None:
    if selectors.disclosure_scope(user, action).is_empty:
        raise Http404


def _form_page(request, form, title, back, *, multipart=False):
    return render(
        request,
        "disclosure/form.html",
        {"form": form, "title": title, "back": back, "multipart": multipart},
        status=400 if request.method == "POST" else 200,
    )


# --- disclosures -----------------------------------------------------------------------------


@login_required
def disclosure_list(request):
    _require_any(request.user, Action.VIEW)
    qs = selectors.disclosures_for_user(user=request.user).order_by("-updated_at", "-id")
    f = DisclosureFilter(request.GET, queryset=qs)
    return render(
        request,
        "disclosure/disclosure_list.html",
        {
            "filter": f,
            "page": _page(request, f.qs),
            "can_edit": not selectors.disclosure_scope(request.user, Action.EDIT).is_empty,
        },
    )


@login_required
def disclosure_create(request):
    villages = selectors.villages_for_user(user=request.user, action=Action.EDIT)
    _require_any(request.user, Action.EDIT)
    form = DisclosureCreateForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            d = services.disclosure_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            return redirect("disclosure:detail", pk=d.pk)
    return _form_page(request, form, _("New disclosure"), "disclosure:list")


@login_required
def disclosure_detail(request, pk):
    d = selectors.disclosure_get(user=request.user, pk=pk)
    user = request.user
    return render(
        request,
        "disclosure/disclosure_detail.html",
        {
            "d": d,
            "attachments": d.attachments.all(),
            "feedback": d.feedback.order_by("-created_at")[:100],
            "can_edit": selectors.can(user, Action.EDIT, d.area_path),
            "can_review": selectors.can(user, Action.REVIEW, d.area_path),
            "return_form": ReturnForm(),
        },
    )


@login_required
def disclosure_edit(request, pk):
    d = selectors.disclosure_get(user=request.user, pk=pk, action=Action.EDIT)
    form = DisclosureEditForm(request.POST or None, initial={"title": d.title, "body": d.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_update(actor=request.user, disclosure=d, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            return redirect("disclosure:detail", pk=d.pk)
    return _form_page(request, form, d.title, "disclosure:list")


@login_required
def disclosure_import(request, pk):
    d = selectors.disclosure_get(user=request.user, pk=pk, action=Action.EDIT)
    form = TableImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_import_table(
                actor=request.user, disclosure=d, file=form.cleaned_data["file"]
            )
        except DomainError as exc:
            _fail(request, form, exc)
            if exc.details and "errors" in exc.details:
                for e in exc.details["errors"][1:20]:
                    form.add_error(
                        None,
                        _("Row %(row)s, column %(column)s: %(error)s") % e,
                    )
        else:
            messages.success(request, _("The table was imported."))
            return redirect("disclosure:detail", pk=d.pk)
    return _form_page(request, form, _("Import a table"), "disclosure:list", multipart=True)


@login_required
def disclosure_table(request, pk):
    """表格填报: fill in the table on the page instead of importing an xlsx file."""
    d = selectors.disclosure_get(user=request.user, pk=pk, action=Action.EDIT)
    if request.method == "POST":
        grid = TableGrid.from_post(request.POST)
        op = request.POST.get("op", "save")
        if op != "save":
            grid.apply(op)
        else:
            table, kept = grid.to_table()
            try:
                services.disclosure_update(actor=request.user, disclosure=d, table=table)
            except DomainError as exc:
                grid.add_errors(exc, kept)
                status = 400
            else:
                messages.success(request, _("The table was saved."))
                return redirect("disclosure:detail", pk=d.pk)
        status = 400 if grid.messages else 200
    else:
        grid, status = TableGrid.from_table(d.table), 200
    if d.status not in EDITABLE_STATUSES:
        grid.messages.append(
            _("A %(status)s disclosure cannot be changed.") % {"status": d.get_status_display()}
        )
    return render(
        request,
        "disclosure/table_form.html",
        {"d": d, "grid": grid.layout(), "too_big": grid.too_big},
        status=status,
    )


@login_required
def disclosure_attach(request, pk):
    d = selectors.disclosure_get(user=request.user, pk=pk, action=Action.EDIT)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_attach(actor=request.user, disclosure=d, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            return redirect("disclosure:detail", pk=d.pk)
    return _form_page(request, form, _("Attach a file"), "disclosure:list", multipart=True)


def _transition(request, pk, action, fn, **kwargs):
    d = selectors.disclosure_get(user=request.user, pk=pk, action=action)
    try:
        fn(actor=request.user, disclosure=d, **kwargs)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("disclosure:detail", pk=d.pk)


@login_required
@require_POST
def disclosure_submit(request, pk):
    return _transition(request, pk, Action.EDIT, services.disclosure_submit)


@login_required
@require_POST
def disclosure_publish(request, pk):
    return _transition(request, pk, Action.REVIEW, services.disclosure_publish)


@login_required
@require_POST
def disclosure_return(request, pk):
    form = ReturnForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _transition(request, pk, Action.REVIEW, services.disclosure_return, reason=reason)


# --- completeness and statistics (town) ------------------------------------------------------


def _town_and_period(request):
    towns = selectors.towns_for_user(user=request.user)
    form = PeriodForm(request.GET or None, towns=towns)
    town = period = None
    if form.is_valid():
        town, period = form.cleaned_data["town"], form.cleaned_data["period"]
    town = town or towns.first()
    period = (period or selectors.default_period()).upper()
    return form, town, period


@login_required
def completeness(request):
    _require_any(request.user, Action.VIEW)
    form, town, period = _town_and_period(request)
    rows, error = [], ""
    try:
        rows = selectors.completeness(user=request.user, period=period, town=town)
    except DomainError as exc:
        error = str(exc.message)
    return render(
        request,
        "disclosure/completeness.html",
        {"form": form, "town": town, "period": period, "rows": rows, "error": error},
    )


def _xlsx(fill, name: str) -> HttpResponse:
    out = io.BytesIO()
    fill(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _export_period(request) -> str | None:
    """The period asked for, or None after telling the user what is wrong with it."""
    value = (request.GET.get("period") or "").strip() or selectors.default_period()
    try:
        return str(periods.parse(value))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return None


@login_required
def export_village(request):
    """The disclosures of one village for a period, as .xlsx (村务公开台账)."""
    _require_any(request.user, Action.VIEW)
    pk = request.GET.get("village", "")
    if not pk.isdigit():
        raise Http404
    village = selectors.village_get(user=request.user, pk=int(pk))
    period = _export_period(request)
    if period is None:
        return redirect("disclosure:completeness")
    return _xlsx(
        lambda out: exports.export_village(
            user=request.user, village=village, period=period, out=out
        ),
        _("Disclosures %(village)s %(period)s.xlsx") % {"village": village.name, "period": period},
    )


@login_required
def export_completeness(request):
    """The completeness view of a town for a period, as .xlsx."""
    _require_any(request.user, Action.VIEW)
    towns = selectors.towns_for_user(user=request.user)
    pk = request.GET.get("town", "")
    if pk:
        if not pk.isdigit():
            raise Http404
        town = get_object_or_404(towns, pk=int(pk))
    else:
        town = towns.first()
        if town is None:
            raise Http404
    period = _export_period(request)
    if period is None:
        return redirect("disclosure:completeness")
    return _xlsx(
        lambda out: exports.export_completeness(
            user=request.user, town=town, period=period, out=out
        ),
        _("Disclosure completeness %(town)s %(period)s.xlsx")
        % {"town": town.name, "period": period},
    )


@login_required
def statistics(request):
    _require_any(request.user, Action.VIEW)
    form, town, period = _town_and_period(request)
    rows, total, error = [], None, ""
    if town is not None:
        try:
            rows, total = selectors.statistics(user=request.user, town=town, period=period)
        except DomainError as exc:
            error = str(exc.message)
    return render(
        request,
        "disclosure/statistics.html",
        {
            "form": form,
            "town": town,
            "period": period,
            "rows": rows,
            "total": total,
            "error": error,
        },
    )


# --- decisions -------------------------------------------------------------------------------


@login_required
def decision_list(request):
    _require_any(request.user, Action.VIEW)
    f = DecisionFilter(request.GET, queryset=selectors.decisions_for_user(user=request.user))
    return render(
        request,
        "disclosure/decision_list.html",
        {
            "filter": f,
            "page": _page(request, f.qs),
            "can_decide": not selectors.disclosure_scope(request.user, Action.DECIDE).is_empty,
        },
    )


@login_required
def decision_create(request):
    _require_any(request.user, Action.DECIDE)
    villages = selectors.villages_for_user(user=request.user, action=Action.DECIDE)
    form = DecisionCreateForm(request.POST or None, request.FILES or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            d = services.decision_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            return redirect("disclosure:decision_detail", pk=d.pk)
    return _form_page(request, form, _("New decision"), "disclosure:decision_list", multipart=True)


@login_required
def one_matter_create(request):
    """一事一议: a public-welfare project and its plan of contributions."""
    _require_any(request.user, Action.DECIDE)
    villages = selectors.villages_for_user(user=request.user, action=Action.DECIDE)
    form = OneMatterCreateForm(request.POST or None, request.FILES or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            d = services.one_matter_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            return redirect("disclosure:decision_detail", pk=d.pk)
    return _form_page(
        request,
        form,
        _("New one-matter-one-discussion project"),
        "disclosure:decision_list",
        multipart=True,
    )


def _next_step(d) -> tuple[str | None, type | None, str]:
    """What the decision's template records next: (step, form class, label)."""
    template = d.template
    if d.stage == template.vote_after:
        form_class = OneMatterVoteForm if d.is_one_matter else VoteForm
        label = (
            _("vote of the villagers' meeting")
            if d.is_one_matter
            else _("vote of the villagers' representatives")
        )
        return "vote", form_class, label
    if d.stage == template.publish_after:
        return "resolution", PublishTextForm, template.label(DecisionStage.RESOLUTION_PUBLISHED)
    if d.stage == DecisionStage.RESOLUTION_PUBLISHED:
        return "result", PublishTextForm, template.label(DecisionStage.RESULT_PUBLISHED)
    following = template.next_stage(d.stage)
    if following in template.advance:
        return "advance", StageForm, template.label(following)
    return None, None, ""


@login_required
def decision_detail(request, pk):
    d = selectors.decision_get(user=request.user, pk=pk)
    can_decide = selectors.can(request.user, Action.DECIDE, d.area_path)
    step, form_class, next_label = _next_step(d)
    form = refuse_form = None
    # 乡镇审核: beside the town's approval, its refusal with a reason.
    refusing = request.method == "POST" and request.POST.get("action") == "refuse"
    if refusing and not can_decide:
        raise Http404
    if refusing or (can_decide and d.is_one_matter and d.stage == DecisionStage.PASSED):
        refuse_form = TownRefuseForm(request.POST if refusing else None)
        if refusing and refuse_form.is_valid():
            try:
                services.decision_town_refuse(
                    actor=request.user, decision=d, **refuse_form.cleaned_data
                )
            except DomainError as exc:  # the service says why (stage, kind)
                _fail(request, refuse_form, exc)
            else:
                return redirect("disclosure:decision_detail", pk=d.pk)
    if refusing:
        form = form_class() if form_class is not None else None
    elif can_decide and form_class is not None:
        initial = {}
        if step == "vote":
            initial["representatives_total"] = d.representatives_total
        form = form_class(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if step == "advance":
                    services.decision_advance(
                        actor=request.user,
                        decision=d,
                        stage=d.template.next_stage(d.stage),
                        **data,
                    )
                elif step == "vote":
                    services.decision_vote(actor=request.user, decision=d, **data)
                elif step == "resolution":
                    services.decision_publish_resolution(
                        actor=request.user,
                        decision=d,
                        resolution=data["text"],
                        held_on=data["held_on"],
                    )
                else:
                    services.decision_publish_result(
                        actor=request.user, decision=d, result=data["text"], held_on=data["held_on"]
                    )
            except DomainError as exc:
                _fail(request, form, exc)
            else:
                return redirect("disclosure:decision_detail", pk=d.pk)
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "disclosure/decision_detail.html",
        {
            "d": d,
            "plan": getattr(d, "plan", None) if d.is_one_matter else None,
            "steps": d.steps.all(),
            "form": form,
            "refuse_form": refuse_form,
            "step": step,
            "next_stage": next_label,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- issue ledger ----------------------------------------------------------------------------


@login_required
def issue_list(request):
    _require_any(request.user, Action.VIEW)
    f = IssueFilter(request.GET, queryset=selectors.issues_for_user(user=request.user))
    return render(
        request,
        "disclosure/issue_list.html",
        {
            "filter": f,
            "page": _page(request, f.qs),
            "can_decide": not selectors.disclosure_scope(request.user, Action.DECIDE).is_empty,
            "rectify_form": RectifyForm(),
            "reason_form": ReasonForm(),
        },
    )


@login_required
def issue_create(request):
    _require_any(request.user, Action.DECIDE)
    villages = selectors.villages_for_user(user=request.user, action=Action.DECIDE)
    form = IssueCreateForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            services.issue_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            return redirect("disclosure:issue_list")
    return _form_page(request, form, _("New ledger entry"), "disclosure:issue_list")


def _issue_action(request, pk, fn, form_class=None):
    issue = selectors.issue_get(user=request.user, pk=pk, action=Action.DECIDE)
    kwargs = {}
    if form_class is not None:
        form = form_class(request.POST)
        kwargs = form.cleaned_data if form.is_valid() else dict.fromkeys(form.fields, "")
    try:
        fn(actor=request.user, issue=issue, **kwargs)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("disclosure:issue_list")


@login_required
@require_POST
def issue_rectify(request, pk):
    return _issue_action(request, pk, services.issue_rectify, RectifyForm)


@login_required
@require_POST
def issue_cross_off(request, pk):
    return _issue_action(request, pk, services.issue_cross_off)


@login_required
@require_POST
def issue_reopen(request, pk):
    return _issue_action(request, pk, services.issue_reopen, ReasonForm)


# --- residents' questions --------------------------------------------------------------------


@login_required
def feedback_list(request):
    _require_any(request.user, Action.VIEW)
    f = FeedbackFilter(request.GET, queryset=selectors.feedback_for_user(user=request.user))
    return render(
        request,
        "disclosure/feedback_list.html",
        {"filter": f, "page": _page(request, f.qs), "answer_form": AnswerForm()},
    )


@login_required
@require_POST
def feedback_answer(request, pk):
    fb = selectors.feedback_get(user=request.user, pk=pk, action=Action.ANSWER)
    form = AnswerForm(request.POST)
    try:
        if fb.kind == FeedbackKind.SUPERVISION and "retry_case" in request.POST:
            services.feedback_retry_case(actor=request.user, feedback=fb)
        else:
            services.feedback_answer(
                actor=request.user,
                feedback=fb,
                answer=form.cleaned_data["answer"] if form.is_valid() else "",
            )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("disclosure:feedback_list")
