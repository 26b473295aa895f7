"""Work pages of the case loop: my to-do, the dispatch board, the case page with its timeline
and action forms, the staff intake form. Reads go through selectors (404 outside the scope),
writes through services."""

from __future__ import annotations

import mimetypes
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case as When_
from django.db.models import F, IntegerField, Q, Value, When
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.core.errors import DomainError, NotFound
from wangge.core.excel import XLSX_CONTENT_TYPE
from wangge.core.forms import add_domain_error

from . import permissions, services
from .choices import OPEN_STATES, CaseState, Level, Urgency, WarningLevel
from .exports import kpi_report_xlsx, score_formula
from .filters import CaseFilter
from .forms import (
    BoardFilterForm,
    DispatchForm,
    KpiForm,
    MergeForm,
    NoteForm,
    ReasonForm,
    ResolveForm,
    ReturnVisitForm,
    StaffReportForm,
    TransferForm,
)
from .kpis import KPI_COLUMNS, SCORE_WEIGHTS, kpi_report
from .models import Case, CaseAttachment
from .public import role_label
from .selectors import (
    ScopedCases,
    case_for_user,
    cases_for_user,
    notifications_for_user,
    suggest_duplicates,
    unread_notification_count,
)

PAGE_SIZE = 30
LIST_RELATED = ("category", "grid", "grid__parent", "handler", "department")
# What a list row shows ({% case_rows %}): only these columns are read and made into objects
# (every column of thirty cases with their category, grid, village, department and handler
# cost the dispatch board about 3 ms more on SQLite; the grids' boundaries are large GeoJSON).
LIST_COLUMNS = (
    "number",
    "title",
    "state",
    "level",
    "urgency",
    "warning",
    "reported_at",
    "resolve_by",
    "category__name",
    "grid__name",
    "grid__parent__name",
    "department__name",
    "handler__full_name",
    "handler__username",
)


def list_rows():
    """The cases of a list page, with what their rows show (LIST_COLUMNS)."""
    return Case.objects.select_related(*LIST_RELATED).only(*LIST_COLUMNS)


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _priority(qs):
    """Red first, then urgent, then yellow, then by deadline: what must be done now on top."""
    return qs.annotate(
        _rank=When_(
            When(warning=WarningLevel.RED, then=Value(0)),
            When(urgency=Urgency.URGENT, then=Value(1)),
            When(warning=WarningLevel.YELLOW, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    ).order_by("_rank", "resolve_by", "id")


def _scope_areas(user) -> list[tuple[int, int, str]]:
    """(id, depth, name) of the areas the board's area filter offers, down to the grids,
    in tree order: kept per user until their posts or the areas change."""
    from wangge.accounts.selectors import kept_for_user
    from wangge.areas.selectors import areas_for_user

    def build(_day):
        qs = areas_for_user(user=user).filter(is_active=True)
        levels = [AreaLevel.COUNTY, AreaLevel.TOWN, AreaLevel.VILLAGE, AreaLevel.GRID]
        return list(
            qs.filter(level__in=levels).order_by("path").values_list("id", "depth", "name")[:500]
        )

    return kept_for_user(user, "board_areas", build)


@login_required
def todo(request):
    """My to-do 待办: cases I handle, dispatched cases waiting for my department, resolved
    cases in my scope waiting for a return visit by someone other than their handler."""
    user = request.user
    rows = list_rows()
    # The user's own cases and their departments' are always in their scope (see
    # selectors.scope_parts): no scope filter, so the (handler, state) index serves the list.
    mine = Q(handler=user, state__in=OPEN_STATES)
    departments = permissions.department_ids(user)
    if departments:
        mine |= Q(
            department_id__in=departments,
            department_reported_at__isnull=True,
            state=CaseState.IN_PROGRESS,
        )
    page = _page(request, _priority(rows.filter(mine)))
    visits = (
        ScopedCases(
            user=user,
            queryset=rows.filter(state=CaseState.RESOLVED)
            .exclude(handler=user)
            .exclude(return_visited_at__gte=F("resolved_at")),  # visited: waits to be closed
            order=("resolved_at", "id"),
            rows=rows,
        )[:20]
        if any(p.role in permissions.CASE_ROLES for p in _posts(user)) or user.is_superuser
        else []
    )
    return render(
        request,
        "cases/todo.html",
        {
            "page": page,
            "visits": visits,
            "now": timezone.now(),
            "unread": unread_notification_count(user=user),
        },
    )


def _posts(user):
    from wangge.accounts.selectors import active_posts

    return active_posts(user)


# A case number (year and sequence, ten ASCII digits): searched for, it finds the case in any
# state.
CASE_NUMBER = re.compile(r"[0-9]{10}")


@login_required
def board(request):
    """The dispatch board 调度台: every case in scope with filters."""
    areas = _scope_areas(request.user)
    form = BoardFilterForm(request.GET or None, areas=areas)
    params = request.GET.copy()
    if CASE_NUMBER.fullmatch(params.get("q", "").strip()) and not params.get("state"):
        params["state"] = "all"  # a case number finds its case, closed or not
    elif not params.get("state"):
        params["state"] = "open"
    if params.get("state") == "all":
        params["state"] = ""
    # The filters go on the unscoped table; ScopedCases adds the scope part by part (see
    # selectors.scope_parts), so that the count and the page are read from the indexes.
    rows = list_rows()
    filtered = CaseFilter(params, queryset=rows, request=request).qs
    cases = ScopedCases(
        user=request.user, queryset=filtered, order=("-reported_at", "-id"), rows=rows
    )
    return render(
        request,
        "cases/list.html",
        {
            "form": form,
            "page": _page(request, cases),
            "query": _query_without_page(request),
            "now": timezone.now(),
        },
    )


def _actions_for(user, case) -> list[str]:
    """The action forms to show: allowed by state and by the user's role. The services check
    again; this only avoids offering buttons that would be refused."""
    s = case.state
    handler = permissions.can_handle(user, case)
    manager = permissions.is_manager(user, case.area_path)
    dept = permissions.is_department_staff(user, case)
    waiting_dept = bool(case.department_id) and case.department_reported_at is None
    out = []
    if s == CaseState.REPORTED and handler:
        out.append("accept")
    if s in OPEN_STATES or s == CaseState.RESOLVED:
        if handler or dept:
            out.append("note")
    if s in (CaseState.ACCEPTED, CaseState.IN_PROGRESS) and handler:
        out.append("request_help")
        if not waiting_dept:
            out.append("resolve")
    if s in OPEN_STATES and handler and case.level != Level.COUNTY:
        out.append("escalate")
    if s in (CaseState.ACCEPTED, CaseState.IN_PROGRESS) and manager:
        out.append("dispatch")
    if s == CaseState.IN_PROGRESS and waiting_dept and (dept or user.is_superuser):
        out.append("report_in")
    if s == CaseState.IN_PROGRESS and case.department_id and (dept or manager):
        out.append("return_from_department")
    if s in OPEN_STATES and handler:
        out.append("transfer")
    if s in OPEN_STATES and manager:
        out += ["merge", "reject"]
    if (
        s == CaseState.RESOLVED
        and not case.visited_since_resolved
        and user.pk != case.handler_id
        and permissions.in_scope(user, case.area_path)
    ):
        out.append("return_visit")
    if s == CaseState.RESOLVED and manager and case.satisfaction in ("satisfied", "basically"):
        out.append("close")
    return out


def _forms_for(actions, case, data=None, files=None, only=None):
    grids = []
    if "transfer" in actions:
        grids = list(
            Area.objects.filter(
                parent_id=case.grid.parent_id, level=AreaLevel.GRID, is_active=True
            ).order_by("code")
        )
    builders = {
        "accept": lambda d, f: NoteForm(d, prefix="accept", initial={}),
        "note": lambda d, f: NoteForm(d, prefix="note"),
        "request_help": lambda d, f: NoteForm(d, prefix="request_help"),
        "resolve": lambda d, f: ResolveForm(d, f, prefix="resolve"),
        "escalate": lambda d, f: ReasonForm(d, prefix="escalate"),
        "dispatch": lambda d, f: DispatchForm(
            d, prefix="dispatch", initial={"department": case.category.default_department_id}
        ),
        "report_in": lambda d, f: NoteForm(d, prefix="report_in"),
        "return_from_department": lambda d, f: ReasonForm(d, prefix="return_from_department"),
        "transfer": lambda d, f: TransferForm(d, prefix="transfer", grids=grids),
        "merge": lambda d, f: MergeForm(d, prefix="merge"),
        "reject": lambda d, f: ReasonForm(d, prefix="reject"),
        "return_visit": lambda d, f: ReturnVisitForm(d, prefix="return_visit"),
        "close": lambda d, f: NoteForm(d, prefix="close"),
    }
    forms = {}
    for name in actions:
        bound = name == only
        form = builders[name](data if bound else None, files if bound else None)
        if name in ("accept", "report_in", "close"):
            form.fields["note"].required = False
            form.fields["is_public"].widget = form.fields["is_public"].hidden_widget()
        if name == "request_help":
            form.fields["is_public"].widget = form.fields["is_public"].hidden_widget()
        forms[name] = form
    return forms


ACTION_LABELS = {
    "accept": gettext_lazy("Accept"),
    "note": gettext_lazy("Add a note"),
    "request_help": gettext_lazy("Request help"),
    "resolve": gettext_lazy("Resolve"),
    "escalate": gettext_lazy("Escalate"),
    "dispatch": gettext_lazy("Dispatch to a department"),
    "report_in": gettext_lazy("Report in (department)"),
    "return_from_department": gettext_lazy("Return from the department"),
    "transfer": gettext_lazy("Transfer"),
    "merge": gettext_lazy("Merge as duplicate"),
    "reject": gettext_lazy("Reject"),
    "return_visit": gettext_lazy("Return visit"),
    "close": gettext_lazy("Close"),
}


def _get_case(request, pk) -> Case:
    try:
        return case_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404


def _map_data(case) -> dict:
    """The case's grid boundary (and micro-grid, if any) and its reported point, for map.js;
    tiles from WANGGE_TILE_URL, else the polygons on a blank background."""
    from wangge.areas.views import tile_settings

    features = []
    if case.grid.boundary:
        features.append({"name": case.grid.name, "geometry": case.grid.boundary, "role": "self"})
    if case.area_id != case.grid_id and case.area.boundary:
        features.append({"name": case.area.name, "geometry": case.area.boundary, "role": "child"})
    points = []
    if case.lat is not None and case.lng is not None:
        points.append({"lat": case.lat, "lng": case.lng, "label": case.address or case.title})
    elif not features and case.grid.centroid_lat is not None:
        points.append(
            {"lat": case.grid.centroid_lat, "lng": case.grid.centroid_lng, "label": case.grid.name}
        )
    return {**tile_settings(), "features": features, "points": points}


def _detail_context(request, case, forms):
    actions = case.actions.select_related("actor").order_by("created_at", "id")
    return {
        "map_data": _map_data(case),
        "case": case,
        "timeline": [{"action": a, "role": role_label(a.actor_role)} for a in actions],
        "attachments": list(case.attachments.all()),
        "forms": [(name, str(ACTION_LABELS[name]), form) for name, form in forms.items()],
        "duplicates": suggest_duplicates(case) if case.is_open else [],
        "now": timezone.now(),
    }


@login_required
def detail(request, pk: int):
    case = _get_case(request, pk)
    actions = _actions_for(request.user, case)
    return render(
        request, "cases/detail.html", _detail_context(request, case, _forms_for(actions, case))
    )


@login_required
@require_POST
def act(request, pk: int, name: str):
    case = _get_case(request, pk)
    if name not in ACTION_LABELS:
        raise Http404
    actions = _actions_for(request.user, case)
    if name not in actions:
        actions = [*actions, name]  # let the service explain why not
    forms = _forms_for(actions, case, request.POST, request.FILES, only=name)
    form = forms[name]
    if form.is_valid():
        try:
            _run(name, case, request.user, form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc, {"resolution": "resolution", "handler": "transfer"})
            if not form.errors:
                form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS[name]})
            return redirect("cases:detail", pk=case.pk)
    case.refresh_from_db()
    return render(request, "cases/detail.html", _detail_context(request, case, forms), status=400)


def _run(name, case, actor, d):
    s = services
    if name == "accept":
        return s.case_accept(case=case, actor=actor, note=d.get("note", ""))
    if name == "note":
        return s.case_add_note(case=case, actor=actor, note=d["note"], is_public=d["is_public"])
    if name == "request_help":
        return s.case_request_help(case=case, actor=actor, note=d["note"])
    if name == "resolve":
        return s.case_resolve(
            case=case, actor=actor, resolution=d["resolution"], photos=d.get("photos")
        )
    if name == "escalate":
        return s.case_escalate(case=case, actor=actor, reason=d["reason"])
    if name == "dispatch":
        return s.case_dispatch(
            case=case, actor=actor, department=d["department"], note=d.get("note", "")
        )
    if name == "report_in":
        return s.case_report_in(case=case, actor=actor, note=d.get("note", ""))
    if name == "return_from_department":
        return s.case_return_from_department(case=case, actor=actor, reason=d["reason"])
    if name == "transfer":
        grid = Area.objects.filter(pk=d["grid"]).first() if d.get("grid") else None
        return s.case_transfer(case=case, actor=actor, grid=grid, reason=d["reason"])
    if name == "merge":
        into = cases_for_user(user=actor).filter(number=d["into"].strip()).first()
        if into is None:
            raise DomainError(_("No case in your area has this number."), field="into")
        return s.case_merge(case=case, actor=actor, into=into, note=d.get("note", ""))
    if name == "reject":
        return s.case_reject(case=case, actor=actor, reason=d["reason"])
    if name == "return_visit":
        return s.case_return_visit(
            case=case, actor=actor, satisfaction=d["satisfaction"], note=d.get("note", "")
        )
    if name == "close":
        return s.case_close(case=case, actor=actor, note=d.get("note", ""))
    raise Http404


@login_required
def new(request):
    """Staff intake 登记: hotline calls, patrol findings, walk-ins."""
    from wangge.areas.selectors import areas_for_user

    grids = list(
        areas_for_user(user=request.user)
        .filter(level=AreaLevel.GRID, is_active=True)
        .select_related("parent")
        .order_by("path")[:1000]
    )
    form = StaffReportForm(request.POST or None, request.FILES or None, grids=grids)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            grid = next((g for g in grids if str(g.pk) == d.get("grid")), None)
            try:
                case = services.case_report(
                    actor=request.user,
                    source=d["source"],
                    description=d["description"],
                    title=d.get("title", ""),
                    category=d["category"],
                    urgency=d.get("urgency") or None,
                    lat=d.get("lat") if grid is None else None,
                    lng=d.get("lng") if grid is None else None,
                    area=grid,
                    address=d.get("address", ""),
                    reporter_name=d.get("reporter_name", ""),
                    reporter_phone=d.get("reporter_phone", ""),
                    photos=d.get("photos") or [],
                    idempotency_client=f"user:{request.user.pk}",
                    idempotency_key=d["token"],
                )
            except DomainError as exc:
                add_domain_error(
                    form, exc, {"location": "grid", "area": "grid", "phone": "reporter_phone"}
                )
                if not form.errors:
                    form.add_error(None, str(exc.message))
                status = 400
            else:
                messages.success(
                    request, _("Case %(number)s registered.") % {"number": case.number}
                )
                return redirect("cases:detail", pk=case.pk)
        else:
            status = 400
    return render(request, "cases/new.html", {"form": form}, status=status)


@login_required
def photo(request, pk: int):
    """A case photo, only for those who may see the case (media is not public)."""
    att = CaseAttachment.objects.select_related("case").filter(pk=pk).first()
    if att is None or not permissions.can_view(request.user, att.case):
        raise Http404
    content_type = att.content_type or mimetypes.guess_type(att.file.name)[0]
    response = FileResponse(att.file.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------------------------------------
# KPIs 考核指标


def _kpi_areas(user) -> list[Area]:
    """Areas offered in the KPI picker: the county, towns and villages of the user's scope
    (grids are reached from their village's ranking)."""
    from wangge.areas.selectors import areas_for_user

    return list(
        areas_for_user(user=user)
        .filter(is_active=True, level__in=[AreaLevel.COUNTY, AreaLevel.TOWN, AreaLevel.VILLAGE])
        .only("id", "name", "depth", "level", "path")
        .order_by("path")[:1000]
    )


def _default_kpi_area(user, areas):
    """The widest area of the user's case posts (the first of the picker for a superuser)."""
    from wangge.accounts.selectors import active_posts

    posts = [p for p in active_posts(user) if p.role in permissions.CASE_ROLES]
    if posts:
        return min((p.area for p in posts), key=lambda a: len(a.path))
    return areas[0] if areas else None


@login_required
def kpi_page(request):
    """KPIs of an area subtree over a period, the ranking 打擂台 of the areas one level down,
    a chart, and the same as a spreadsheet (?export=xlsx). All figures come from the rollups
    (kpis.py); the number of queries does not depend on the number of villages."""
    today = timezone.localdate()
    areas = _kpi_areas(request.user)
    raw_area = request.GET.get("area", "")
    if raw_area:
        area = Area.objects.filter(pk=int(raw_area)).first() if raw_area.isdigit() else None
    else:
        area = _default_kpi_area(request.user, areas)
    if area is None or not permissions.in_scope(request.user, area.path):
        raise Http404
    if area.pk not in {a.pk for a in areas}:
        areas = [*areas, area]  # e.g. a grid, reached from its village's ranking
    params = request.GET.copy()
    params.setdefault("area", str(area.pk))
    params.setdefault("period", "month")
    if params["period"] != "range":
        params.setdefault("month", f"{today:%Y-%m}")
    form = KpiForm(params, areas=areas, today=today)
    if not form.is_valid():
        return render(
            request, "cases/kpis.html", {"form": form, "area": area, "report": None}, status=400
        )
    d = form.cleaned_data
    report = kpi_report(area=area, start=d["start"], end=d["end"])
    if request.GET.get("export") == "xlsx":
        name = _("KPIs %(area)s %(start)s-%(end)s.xlsx") % {
            "area": area.name,
            "start": f"{d['start']:%Y%m%d}",
            "end": f"{d['end']:%Y%m%d}",
        }
        response = HttpResponse(kpi_report_xlsx(report), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    columns = [{"key": k, "label": str(label), "kind": kind} for k, label, kind in KPI_COLUMNS]
    params.pop("export", None)
    drill = params.copy()
    drill.pop("area", None)
    return render(
        request,
        "cases/kpis.html",
        {
            "form": form,
            "area": area,
            "report": report,
            "totals": [{**c, "value": report.totals.value(c["key"])} for c in columns],
            "columns": columns,
            "rows": [
                {
                    "rank": r.rank,
                    "area": r.area,
                    "score": r.kpis.score,
                    "values": [{**c, "value": r.kpis.value(c["key"])} for c in columns],
                }
                for r in report.ranking
            ],
            "chart": _kpi_chart(report, columns),
            "formula": score_formula(),
            "export_query": f"{params.urlencode()}&export=xlsx",
            "drill_query": drill.urlencode(),
        },
    )


def _kpi_chart(report, columns) -> dict:
    """Data of the ECharts chart: the score of each ranked area as bars, its rates as lines
    (in %), and where the period's cases were settled."""
    rates = [c for c in columns if c["key"] in SCORE_WEIGHTS]

    def as_pct(value):
        return None if value is None else round(value * 100, 1)

    return {
        "names": [r.area.name for r in report.ranking],
        "score_label": str(_("score")),
        "bars": [r.kpis.score for r in report.ranking],
        "lines": [
            {"name": c["label"], "data": [as_pct(r.kpis.value(c["key"])) for r in report.ranking]}
            for c in rates
        ],
        "settled": [
            {"name": c["label"], "value": report.totals.counts["settled_" + c["key"][6:]]}
            for c in columns
            if c["key"].startswith("share_")
        ],
        "settled_title": str(_("Where cases were settled")),
    }


# ---------------------------------------------------------------------------------------------
# Notifications 消息提醒


@login_required
def notifications(request):
    """My notifications, unread first within the newest; ?unread=1 for the unread only."""
    qs = notifications_for_user(user=request.user)
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    return render(
        request,
        "cases/notifications.html",
        {
            "page": _page(request, qs.order_by("-created_at", "-id")),
            "unread_only": bool(request.GET.get("unread")),
            "query": _query_without_page(request),
            "unread": unread_notification_count(user=request.user),
        },
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one notification read; htmx swaps the row, a plain form goes back to the list."""
    try:
        n = services.notification_mark_read(user=request.user, notification_id=pk)
    except NotFound:
        raise Http404
    if request.htmx:
        n = notifications_for_user(user=request.user).get(pk=n.pk)
        return render(request, "cases/_notification.html", {"n": n})
    return redirect("cases:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    services.notifications_mark_all_read(user=request.user)
    return redirect("cases:notifications")
