"""Pages of the scoring app: my points (phone), and for the town: the village ranking
打擂台, assessments with their breakdown, the admonishment list 约谈 with the talks, the
commendation lists, the ledger with manual and reversing entries, and the point rules."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import DomainError, NotFound
from wangge.core.excel import XLSX_CONTENT_TYPE

from . import rules as R
from . import selectors, services
from .choices import PeriodKind
from .exports import assessments_xlsx, ranking_xlsx
from .forms import (
    AssessmentFilterForm,
    LedgerFilterForm,
    ManualEntryForm,
    RankingForm,
    ReasonForm,
    RuleForm,
    TalkForm,
)
from .models import AssessmentSettings, PointRule

PAGE_SIZE = 30


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    return params.urlencode()


def _need_view(request):
    if not selectors.can_view_assessments(request.user):
        raise Http404


def _need_manage(request):
    if not selectors.can_manage_points(request.user):
        raise Http404


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _with_links(entries):
    for e in entries:
        e.link = selectors.source_url(e)
    return entries


@login_required
def index(request):
    """My points 我的积分 on the phone; officers also get the links to the town views."""
    page = _page(request, selectors.my_entries(request.user))
    _with_links(page.object_list)
    return render(
        request,
        "scoring/index.html",
        {
            "balances": selectors.my_balances(request.user),
            "page": page,
            "can_view": selectors.can_view_assessments(request.user),
            "can_manage": selectors.can_manage_points(request.user),
            "conf": AssessmentSettings.get(),
        },
    )


@login_required
def ledger(request):
    _need_view(request)
    form = LedgerFilterForm(request.GET or None)
    qs = selectors.entries_for_user(user=request.user).order_by("-day", "-id")
    if form.is_valid():
        d = form.cleaned_data
        if d["subject_kind"]:
            qs = qs.filter(subject_kind=d["subject_kind"])
        if d["q"]:
            qs = qs.filter(subject_name__contains=d["q"])
        if d["start"]:
            qs = qs.filter(day__gte=d["start"])
        if d["end"]:
            qs = qs.filter(day__lte=d["end"])
    page = _page(request, qs)
    _with_links(page.object_list)
    return render(
        request,
        "scoring/ledger.html",
        {
            "form": form,
            "page": page,
            "query": _query(request),
            "can_manage": selectors.can_manage_points(request.user),
        },
    )


@login_required
def entry_detail(request, pk: int):
    try:
        entry = selectors.entry_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    form = ReasonForm(request.POST or None)
    if request.method == "POST":
        _need_manage(request)
        if form.is_valid():
            try:
                services.entry_reverse(
                    actor=request.user, entry=entry, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The entry has been reversed."))
                return redirect("scoring:entry", pk=entry.pk)
            except DomainError as exc:
                form.add_error(None, str(exc.message))
    entry.link = selectors.source_url(entry)
    reversal = getattr(entry, "reversed_by", None)
    return render(
        request,
        "scoring/entry.html",
        {
            "entry": entry,
            "reversal": reversal,
            "form": form,
            "can_manage": selectors.can_manage_points(request.user),
        },
    )


@login_required
def entry_new(request):
    _need_manage(request)
    initial = {"subject_id": request.GET.get("subject")}
    form = ManualEntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            entry = services.entry_create_manual(
                actor=request.user,
                rule=d["rule"],
                subject_id=d["subject_id"],
                reason=d["reason"],
                day=d["day"],
            )
            messages.success(request, _("The entry has been written."))
            return redirect("scoring:entry", pk=entry.pk)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
    return render(request, "scoring/entry_new.html", {"form": form})


@login_required
def rule_list(request):
    _need_view(request)
    return render(
        request,
        "scoring/rules.html",
        {
            "page": _page(request, selectors.rules_visible()),
            "can_edit": _can_edit_rules(request.user),
            "conf": AssessmentSettings.get(),
        },
    )


def _can_edit_rules(user) -> bool:
    try:
        services.require_rule_manager(user)
        return True
    except DomainError:
        return False


@login_required
def rule_edit(request, pk: int | None = None):
    _need_manage(request)
    if not _can_edit_rules(request.user):
        raise Http404
    rule = None
    if pk is not None:
        rule = PointRule.objects.filter(pk=pk).first()
        if rule is None:
            raise Http404
    initial = {}
    if rule is not None:
        initial = {f: getattr(rule, f) for f in ("code", *services.RULE_FIELDS)}
    form = RuleForm(request.POST or None, initial=initial)
    if rule is not None:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        code = d.pop("code")
        d["event"] = d.get("event") or ""
        d["cap_period"] = d.get("cap_period") or ""
        try:
            if rule is None:
                services.rule_create(actor=request.user, code=code, **d)
            else:
                services.rule_update(actor=request.user, rule=rule, **d)
            messages.success(request, _("The rule has been saved."))
            return redirect("scoring:rules")
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
    return render(request, "scoring/rule_form.html", {"form": form, "rule": rule})


def _ranking_params(request):
    areas = selectors.areas_for_ranking(request.user)
    form = RankingForm(request.GET or None, areas=areas)
    area = selectors.default_area(request.user)
    start, end = R.period_bounds(PeriodKind.QUARTER, timezone.localdate())
    if form.is_valid():
        area = form.cleaned_data["area"] or area
        if form.cleaned_data["quarter"]:
            start, end = R.period_bounds(
                PeriodKind.QUARTER, dt.date.fromisoformat(form.cleaned_data["quarter"])
            )
    return form, area, start, end


@login_required
def ranking(request):
    """打擂台: the villages ranked each quarter by the composite score, formula shown."""
    _need_view(request)
    form, area, start, end = _ranking_params(request)
    if area is None:
        raise Http404
    try:
        rows = selectors.village_ranking(user=request.user, area=area, start=start, end=end)
    except NotFound:
        raise Http404 from None
    if request.GET.get("export") == "xlsx":
        name = _("Ranking %(area)s %(period)s.xlsx") % {
            "area": area.name,
            "period": R.period_label(PeriodKind.QUARTER, start),
        }
        return _xlsx(ranking_xlsx(rows), name)
    page = _page(request, rows)
    return render(
        request,
        "scoring/ranking.html",
        {
            "form": form,
            "area": area,
            "start": start,
            "end": end,
            "label": R.period_label(PeriodKind.QUARTER, start),
            "page": page,
            "labels": [str(v) for v in selectors.RANKING_LABELS.values()],
            "keys": list(selectors.RANKING_WEIGHTS),
            "formula": selectors.ranking_formula(),
            "query": _query(request),
        },
    )


def _assessment_filter(request):
    form = AssessmentFilterForm(request.GET or None)
    kind, start = PeriodKind.MONTH, None
    qs = selectors.assessments_for_user(user=request.user)
    d = form.cleaned_data if form.is_valid() else {}
    kind = d.get("kind") or kind
    periods = selectors.periods_assessed(kind)
    start = d.get("start") or (periods[0] if periods else None)
    if start is not None:
        start = R.period_bounds(kind, start)[0]
    qs = qs.filter(period_kind=kind, start=start) if start else qs.none()
    if d.get("subject_kind"):
        qs = qs.filter(subject_kind=d["subject_kind"])
    if d.get("q"):
        qs = qs.filter(subject_name__contains=d["q"])
    if d.get("below"):
        qs = qs.filter(below_threshold=True)
    return form, kind, start, periods, qs.order_by("-score", "subject_name", "id")


@login_required
def assessment_list(request):
    _need_view(request)
    form, kind, start, periods, qs = _assessment_filter(request)
    if request.GET.get("export") == "xlsx":
        label = R.period_label(kind, start) if start else ""
        return _xlsx(assessments_xlsx(qs), _("Assessments %(p)s.xlsx") % {"p": label})
    return render(
        request,
        "scoring/assessments.html",
        {
            "form": form,
            "kind": kind,
            "start": start,
            "label": R.period_label(kind, start) if start else "",
            "periods": [(p, R.period_label(kind, p)) for p in periods],
            "page": _page(request, qs),
            "query": _query(request),
            "conf": AssessmentSettings.get(),
        },
    )


@login_required
def assessment_detail(request, pk: int):
    try:
        a = selectors.assessment_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    form = ReasonForm(request.POST or None)
    if request.method == "POST":
        _need_manage(request)
        if form.is_valid():
            try:
                services.assessment_reopen(
                    actor=request.user, assessment=a, reason=form.cleaned_data["reason"]
                )
                messages.success(
                    request, _("Re-opened: it will be recomputed at the next assessment run.")
                )
                return redirect("scoring:assessment", pk=a.pk)
            except DomainError as exc:
                form.add_error(None, str(exc.message))
    page = _page(request, selectors.assessment_entries(a))
    _with_links(page.object_list)
    return render(
        request,
        "scoring/assessment.html",
        {
            "a": a,
            "label": R.period_label(a.period_kind, a.start),
            "page": page,
            "form": form,
            "can_manage": selectors.can_manage_points(request.user),
        },
    )


@login_required
def admonishment_list(request):
    _need_view(request)
    qs = selectors.admonishments_for_user(user=request.user).order_by(
        "talked_at", "-assessment__start", "assessment__score", "id"
    )
    state = request.GET.get("state")
    if state == "open":
        qs = qs.filter(talked_at__isnull=True)
    elif state == "done":
        qs = qs.filter(talked_at__isnull=False)
    return render(
        request,
        "scoring/admonishments.html",
        {
            "page": _page(request, qs),
            "state": state,
            "query": _query(request),
            "conf": AssessmentSettings.get(),
        },
    )


@login_required
def admonishment_detail(request, pk: int):
    try:
        adm = selectors.admonishment_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    form = TalkForm(request.POST or None)
    if request.method == "POST":
        _need_manage(request)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.admonishment_record_talk(
                    actor=request.user,
                    admonishment=adm,
                    talked_at=d["talked_at"],
                    notes=d["notes"],
                    follow_up=d["follow_up"],
                )
                messages.success(request, _("The talk has been recorded."))
                return redirect("scoring:admonishment", pk=adm.pk)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
    return render(
        request,
        "scoring/admonishment.html",
        {
            "adm": adm,
            "a": adm.assessment,
            "label": R.period_label(adm.assessment.period_kind, adm.assessment.start),
            "form": form,
            "can_manage": selectors.can_manage_points(request.user),
        },
    )


@login_required
def commendations(request):
    _need_view(request)
    kind = request.GET.get("kind") or PeriodKind.QUARTER
    if kind not in PeriodKind.values:
        kind = PeriodKind.QUARTER
    periods = selectors.periods_assessed(kind)
    start = None
    raw = request.GET.get("start")
    if raw:
        try:
            start = R.period_bounds(kind, dt.date.fromisoformat(raw))[0]
        except ValueError:
            start = None
    start = start or (periods[0] if periods else None)
    groups = (
        selectors.commendation_lists(user=request.user, kind=kind, start=start) if start else []
    )
    return render(
        request,
        "scoring/commendations.html",
        {
            "kind": kind,
            "kinds": PeriodKind.choices,
            "start": start,
            "label": R.period_label(kind, start) if start else "",
            "periods": [(p, R.period_label(kind, p)) for p in periods],
            "groups": groups,
        },
    )


@login_required
@require_POST
def run_assessments(request):
    """Run the assessment of the ended periods now (the task also runs hourly)."""
    _need_manage(request)
    result = services.assess_ended_periods()
    messages.success(
        request,
        _("Assessment done: %(p)s periods, %(n)s assessments written.")
        % {"p": result.get("periods", 0), "n": result.get("created", 0)},
    )
    return redirect("scoring:assessments")


@login_required
def settings_page(request):
    """The assessment settings (base score, threshold, bundle shares — the county's) and the
    bundled reward and punishment links 捆绑奖惩 of the villages in scope."""
    from wangge.accounts.models import User

    from .forms import BundleLinkForm, SettingsForm

    _need_view(request)
    conf = AssessmentSettings.get()
    can_edit = _can_edit_rules(request.user)
    can_manage = selectors.can_manage_points(request.user)
    villages = selectors.villages_for_user(user=request.user)
    settings_form = SettingsForm(initial={k: getattr(conf, k) for k in services.SETTINGS_FIELDS})
    link_form = BundleLinkForm(villages=villages)
    if request.method == "POST":
        _need_manage(request)
        what = request.POST.get("action")
        try:
            if what == "settings" and can_edit:
                settings_form = SettingsForm(request.POST)
                if settings_form.is_valid():
                    services.settings_update(actor=request.user, **settings_form.cleaned_data)
                    messages.success(request, _("The settings have been saved."))
                    return redirect("scoring:settings")
            elif what == "sync" and can_edit:
                n = services.bundle_links_sync(actor=request.user)
                messages.success(request, _("%(n)s links added from the posts.") % {"n": n})
                return redirect("scoring:settings")
            elif what == "link":
                link_form = BundleLinkForm(request.POST, villages=villages)
                if link_form.is_valid():
                    d = link_form.cleaned_data
                    user = User.objects.filter(pk=d["user_id"]).first()
                    if user is None:
                        link_form.add_error("user_id", _("No such person."))
                    else:
                        services.bundle_link_create(
                            actor=request.user, village=d["village"], user=user, kind=d["kind"]
                        )
                        messages.success(request, _("The link has been added."))
                        return redirect("scoring:settings")
            elif what in ("enable", "disable"):
                link = (
                    selectors.bundle_links_for_user(user=request.user)
                    .filter(pk=request.POST.get("link") or 0)
                    .first()
                )
                if link is None:
                    raise Http404
                services.bundle_link_set_active(
                    actor=request.user, link=link, active=what == "enable"
                )
                return redirect("scoring:settings")
            else:
                raise Http404
        except (DomainError, ValueError) as exc:
            messages.error(request, str(getattr(exc, "message", exc)))
    links = selectors.bundle_links_for_user(user=request.user).order_by("area_path", "kind", "id")
    return render(
        request,
        "scoring/settings.html",
        {
            "conf": conf,
            "can_edit": can_edit,
            "can_manage": can_manage,
            "settings_form": settings_form,
            "link_form": link_form,
            "page": _page(request, links),
        },
    )
