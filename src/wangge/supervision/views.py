"""Pages of supervision and bulletins: login, scope-filtered, out of scope → 404.

Views parse input and call services; a DomainError becomes a message on the page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.errors import DomainError
from wangge.core.excel import XLSX_CONTENT_TYPE

from . import periods, selectors, services
from .bulletins import bulletin_xlsx_bytes
from .choices import BulletinState, ProblemState
from .filters import BulletinFilter, InspectionFilter, ProblemFilter
from .forms import (
    BulletinEditForm,
    BulletinGenerateForm,
    FollowUpForm,
    InspectionForm,
    ItemForm,
    NoteForm,
    ProblemForm,
    ReasonForm,
    RectifyForm,
    StatisticsForm,
    ToCaseForm,
)

PAGE_SIZE = 30
INDEX_ROWS = 20


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _fail(request, form, exc: DomainError) -> None:
    if form is not None and exc.field and exc.field in form.fields:
        form.add_error(exc.field, str(exc.message))
    elif form is not None:
        form.add_error(None, str(exc.message))
    else:
        messages.error(request, str(exc.message))


def _require_supervisor(user) -> None:
    if selectors.supervise_scope(user).is_empty:
        raise Http404


def _form_page(request, form, title, back, *, multipart=False):
    return render(
        request,
        "supervision/form.html",
        {"form": form, "title": title, "back": back, "multipart": multipart},
        status=400 if request.method == "POST" else 200,
    )


# --- index ---------------------------------------------------------------------------------


@login_required
def index(request):
    """My supervision: the problems I must rectify (anyone with a post may be responsible);
    for supervisors also those to verify and those escalated to them. Overdue first."""
    user = request.user
    mine = selectors.my_problems(user=user)
    is_supervisor = not selectors.supervise_scope(user).is_empty
    ctx = {
        "mine": mine[:INDEX_ROWS],
        "mine_count": mine.count(),
        "is_supervisor": is_supervisor,
    }
    if is_supervisor:
        verify = selectors.problems_to_verify(user=user)
        escalated = selectors.problems_escalated_to_me(user=user)
        ctx.update(
            verify=verify[:INDEX_ROWS],
            verify_count=verify.count(),
            escalated=escalated[:INDEX_ROWS],
            escalated_count=escalated.count(),
        )
    return render(request, "supervision/index.html", ctx)


# --- supervision items -----------------------------------------------------------------------


@login_required
def item_list(request):
    _require_supervisor(request.user)
    qs = selectors.items_for_user(user=request.user).order_by("-start", "-id")
    return render(request, "supervision/item_list.html", {"page": _page(request, qs)})


@login_required
def item_create(request):
    _require_supervisor(request.user)
    form = ItemForm(request.POST or None, areas=selectors.areas_for_user(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.item_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            messages.success(request, _("The supervision item was saved."))
            return redirect("supervision:item_list")
    return _form_page(request, form, _("New supervision item"), "supervision:item_list")


# --- inspections ---------------------------------------------------------------------------


@login_required
def inspection_list(request):
    _require_supervisor(request.user)
    qs = selectors.inspections_for_user(user=request.user).order_by("-inspected_on", "-id")
    f = InspectionFilter(request.GET, queryset=qs)
    return render(
        request, "supervision/inspection_list.html", {"filter": f, "page": _page(request, f.qs)}
    )


@login_required
def inspection_create(request):
    _require_supervisor(request.user)
    areas = selectors.areas_for_user(
        user=request.user, levels=[AreaLevel.TOWN, AreaLevel.VILLAGE, AreaLevel.GRID]
    )
    today = timezone.localdate()
    items = selectors.items_for_user(user=request.user).filter(
        end__gte=today - dt.timedelta(days=92)
    )
    form = InspectionForm(request.POST or None, request.FILES or None, areas=areas, items=items)
    if request.method == "POST" and form.is_valid():
        try:
            inspection = services.inspection_record(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            messages.success(request, _("The inspection was recorded."))
            return redirect("supervision:inspection_detail", pk=inspection.pk)
    return render(
        request,
        "supervision/inspection_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _problem_form(inspection, data=None):
    return ProblemForm(
        data,
        areas=Area.objects.filter(path__startswith=inspection.area_path, is_active=True).order_by(
            "path"
        ),
        people=selectors.responsible_candidates(area=inspection.area),
    )


@login_required
def inspection_detail(request, pk):
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    form = _problem_form(inspection, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.problem_create(actor=request.user, inspection=inspection, **data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            messages.success(request, _("The problem was put on the list."))
            return redirect("supervision:inspection_detail", pk=inspection.pk)
    return render(
        request,
        "supervision/inspection_detail.html",
        {
            "inspection": inspection,
            "photos": inspection.photos.all(),
            "problems": inspection.problems.select_related("area", "responsible"),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- problems ------------------------------------------------------------------------------


@login_required
def problem_list(request):
    qs = selectors.problems_for_user(user=request.user).order_by("-is_overdue", "deadline", "-id")
    if request.GET.get("mine"):
        qs = qs.filter(responsible=request.user)
    f = ProblemFilter(request.GET, queryset=qs)
    return render(
        request, "supervision/problem_list.html", {"filter": f, "page": _page(request, f.qs)}
    )


@login_required
def problem_detail(request, pk):
    problem = selectors.problem_get(user=request.user, pk=pk)
    user = request.user
    can_supervise = selectors.can_supervise(user, problem.area_path)
    grids = Area.objects.none()
    if can_supervise and not problem.case_id:
        grids = Area.objects.filter(
            path__startswith=problem.area_path, level=AreaLevel.GRID, is_active=True
        ).order_by("path")
    return render(
        request,
        "supervision/problem_detail.html",
        {
            "problem": problem,
            "timeline": selectors.problem_timeline(problem),
            "can_supervise": can_supervise,
            "is_responsible": problem.responsible_id == user.pk,
            "rectify_form": RectifyForm(),
            "reason_form": ReasonForm(),
            "note_form": NoteForm(),
            "follow_up_form": FollowUpForm(),
            "to_case_form": ToCaseForm(grids=grids),
            "needs_grid": problem.area.level not in (AreaLevel.GRID, AreaLevel.MICROGRID),
            "ProblemState": ProblemState,
        },
    )


def _act(request, pk, form_class, fn, fields=()):
    problem = selectors.problem_get(user=request.user, pk=pk)
    form = form_class(request.POST) if form_class else None
    kwargs = {}
    if form is not None:
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return redirect("supervision:problem_detail", pk=problem.pk)
        kwargs = {k: form.cleaned_data[k] for k in fields}
    try:
        fn(actor=request.user, problem=problem, **kwargs)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("supervision:problem_detail", pk=problem.pk)


@login_required
@require_POST
def problem_rectify(request, pk):
    return _act(request, pk, RectifyForm, services.problem_rectify, ["rectification"])


@login_required
@require_POST
def problem_verify(request, pk):
    return _act(request, pk, NoteForm, services.problem_verify, ["note"])


@login_required
@require_POST
def problem_reject(request, pk):
    return _act(request, pk, ReasonForm, services.problem_reject, ["reason"])


@login_required
@require_POST
def problem_cross_off(request, pk):
    return _act(request, pk, NoteForm, services.problem_cross_off, ["note"])


@login_required
@require_POST
def problem_follow_up(request, pk):
    return _act(
        request, pk, FollowUpForm, services.problem_follow_up, ["note", "remind", "deadline"]
    )


@login_required
@require_POST
def problem_to_case(request, pk):
    problem = selectors.problem_get(user=request.user, pk=pk)
    grids = Area.objects.filter(path__startswith=problem.area_path, level=AreaLevel.GRID)
    form = ToCaseForm(request.POST, grids=grids)
    grid = form.cleaned_data.get("grid") if form.is_valid() else None
    try:
        services.problem_to_case(actor=request.user, problem=problem, grid=grid)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The problem is now case %(n)s.") % {"n": problem.case_number})
    return redirect("supervision:problem_detail", pk=problem.pk)


# --- statistics ----------------------------------------------------------------------------


def _recent_quarters(today: dt.date, n: int = 8) -> list[str]:
    out, day = [], today
    for _i in range(n):
        out.append(periods.quarter_label(day))
        day = periods.quarter_bounds(day)[0] - dt.timedelta(days=1)
    return out


@login_required
def statistics(request):
    _require_supervisor(request.user)
    areas = selectors.areas_for_user(
        user=request.user, levels=[AreaLevel.COUNTY, AreaLevel.TOWN, AreaLevel.VILLAGE]
    )
    quarters = _recent_quarters(timezone.localdate())
    form = StatisticsForm(request.GET or None, areas=areas, quarters=quarters)
    area = quarter = None
    if form.is_valid():
        area = form.cleaned_data.get("area")
        quarter = form.cleaned_data.get("quarter")
    area = area or areas.first()
    if area is None:
        raise Http404
    quarter = quarter or quarters[0]
    start, end = periods.parse_quarter(quarter)
    stats = selectors.statistics(area=area, start=start, end=end)
    return render(
        request,
        "supervision/statistics.html",
        {"form": form, "stats": stats, "quarter": quarter},
    )


# --- bulletins -----------------------------------------------------------------------------


@login_required
def bulletin_list(request):
    """The bulletin archive 通报档案: published bulletins of the user's areas, and drafts for
    those who supervise."""
    qs = selectors.bulletins_for_user(user=request.user).order_by("-end", "-id")
    f = BulletinFilter(request.GET, queryset=qs)
    return render(
        request,
        "supervision/bulletin_list.html",
        {
            "filter": f,
            "page": _page(request, f.qs),
            "can_generate": selectors.bulletin_areas_for_user(user=request.user).exists(),
        },
    )


@login_required
def bulletin_generate(request):
    areas = selectors.bulletin_areas_for_user(user=request.user)
    if not areas.exists():
        raise Http404
    form = BulletinGenerateForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        try:
            b = services.bulletin_generate(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            messages.success(request, _("The draft bulletin was generated."))
            return redirect("supervision:bulletin_detail", pk=b.pk)
    return _form_page(request, form, _("Generate a bulletin"), "supervision:bulletin_list")


@login_required
def bulletin_detail(request, pk):
    b = selectors.bulletin_get(user=request.user, pk=pk)
    return render(
        request,
        "supervision/bulletin_detail.html",
        {
            "b": b,
            "c": b.content,
            "can_edit": selectors.can_supervise(request.user, b.area_path)
            and b.state != BulletinState.PUBLISHED,
            "BulletinState": BulletinState,
        },
    )


@login_required
def bulletin_edit(request, pk):
    b = selectors.bulletin_get_for_edit(user=request.user, pk=pk)
    form = BulletinEditForm(request.POST or None, initial={"title": b.title, "remarks": b.remarks})
    if request.method == "POST" and form.is_valid():
        try:
            services.bulletin_update(actor=request.user, bulletin=b, **form.cleaned_data)
        except DomainError as exc:
            _fail(request, form, exc)
        else:
            return redirect("supervision:bulletin_detail", pk=b.pk)
    return _form_page(request, form, b.title, "supervision:bulletin_list")


def _bulletin_act(request, pk, fn, done):
    b = selectors.bulletin_get_for_edit(user=request.user, pk=pk)
    try:
        fn(actor=request.user, bulletin=b)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect("supervision:bulletin_detail", pk=b.pk)


@login_required
@require_POST
def bulletin_review(request, pk):
    return _bulletin_act(request, pk, services.bulletin_review, _("The bulletin was reviewed."))


@login_required
@require_POST
def bulletin_publish(request, pk):
    return _bulletin_act(request, pk, services.bulletin_publish, _("The bulletin was published."))


@login_required
@require_POST
def bulletin_regenerate(request, pk):
    return _bulletin_act(
        request, pk, services.bulletin_regenerate, _("The bulletin was generated again.")
    )


@login_required
def bulletin_print(request, pk):
    """The printable A4 page 打印版."""
    b = selectors.bulletin_get(user=request.user, pk=pk)
    return render(request, "supervision/bulletin_print.html", {"b": b, "c": b.content})


@login_required
def bulletin_xlsx(request, pk):
    b = selectors.bulletin_get(user=request.user, pk=pk)
    data = bulletin_xlsx_bytes(b)
    audit(actor=request.user, verb="supervision.bulletin.download", obj=b, data={"format": "xlsx"})
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    filename = f"bulletin-{b.area.code}-{b.kind}-{b.start:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
