"""Pages of fieldwork: the grid worker's phone home 我的工作台 (patrol today, visits due, the
day's norm progress, the report draft, pledges to sign), patrols, the visit form, the daily
report, and the officers' compliance (per day, per month, xlsx), coverage, norms and pledges."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.choices import Capability
from wangge.accounts.selectors import user_scope
from wangge.areas.models import Area
from wangge.core.errors import DomainError
from wangge.people.selectors import household_search

from . import compliance, exports, selectors, services
from .choices import VisitKind
from .forms import (
    CampaignForm,
    DayFilterForm,
    FindingForm,
    MonthFilterForm,
    NormForm,
    ReportForm,
    SignForm,
    VisitForm,
)
from .models import DailyNorm, Pledge

PAGE_SIZE = 30
HOUSEHOLD_PICKER_MAX = 300


def _page(request, qs, size=PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


def _error(request, exc: DomainError) -> None:
    messages.error(request, str(exc.message))


def _require_oversight(request):
    if not selectors.can_oversee(request.user):
        raise Http404(_("You do not oversee any area's fieldwork."))


# -- home --------------------------------------------------------------------------------------


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    ctx = {"today": today, "is_workday": compliance.is_workday(today)}
    grid_posts = services.worker_grid_posts(user)
    if selectors.is_patroller(user):
        ctx["open_patrol"] = selectors.open_patrol(user)
        ctx["patrols_today"] = list(selectors.patrols_today(user, today))
    if grid_posts:
        days = selectors.visit_due_days()
        due = selectors.visits_due(user=user, days=days)
        ctx.update(
            grid_posts=grid_posts,
            due=list(due[:10]),
            due_count=due.count(),
            due_days=days,
            draft=selectors.report_draft(user, today, area=grid_posts[0].area),
            to_sign=list(selectors.pledges_to_sign(user)[:10]),
        )
    from wangge.party.selectors import member_households, member_of_user

    member = member_of_user(user)
    if member is not None:
        households = member_households(member)
        ctx["member"] = member
        ctx["member_households"] = list(households[:20])
    ctx["can_oversee"] = selectors.can_oversee(user)
    ctx["can_manage"] = selectors.can_manage(user)
    ctx["visits_today"] = (
        selectors.visits_for_user(user=user).filter(visitor=user, visited_at__date=today).count()
        if grid_posts or member is not None
        else 0
    )
    return render(request, "fieldwork/home.html", ctx)


# -- patrols -----------------------------------------------------------------------------------


@login_required
@require_POST
def patrol_start(request):
    area = None
    if request.POST.get("area"):
        try:
            area = Area.objects.get(pk=int(request.POST["area"]))
        except (Area.DoesNotExist, ValueError):
            raise Http404 from None
    try:
        patrol = services.patrol_start(actor=request.user, area=area)
    except DomainError as exc:
        _error(request, exc)
        return redirect("fieldwork:home")
    messages.success(request, _("Patrol started. Keep this page open to record the route."))
    return redirect("fieldwork:patrol_detail", pk=patrol.pk)


@login_required
@require_POST
def patrol_stop(request, pk: int):
    patrol = selectors.patrol_get(user=request.user, pk=pk)
    try:
        patrol = services.patrol_stop(actor=request.user, patrol=patrol)
        messages.success(
            request,
            _("Patrol finished: %(minutes)d minutes, %(km).1f km.")
            % {"minutes": patrol.duration_minutes or 0, "km": patrol.distance_m / 1000},
        )
    except DomainError as exc:
        _error(request, exc)
    return redirect("fieldwork:patrol_detail", pk=pk)


@login_required
def patrol_list(request):
    qs = selectors.patrols_for_user(user=request.user)
    if request.GET.get("mine", "1") != "0" or not selectors.can_oversee(request.user):
        qs = qs.filter(worker=request.user)
    qs = qs.order_by("-started_at", "-id")
    return render(
        request,
        "fieldwork/patrol_list.html",
        {"page": _page(request, qs), "query": _query_without_page(request)},
    )


@login_required
def patrol_detail(request, pk: int):
    patrol = selectors.patrol_get(user=request.user, pk=pk)
    findings = list(patrol.findings.select_related("case").order_by("created_at"))
    route = selectors.patrol_route(patrol)
    features = []
    if patrol.area.boundary:
        features.append(
            {"geometry": patrol.area.boundary, "role": "child", "name": patrol.area.name}
        )
    if len(route) > 1:
        features.append(
            {
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[lng, lat] for lat, lng in route],
                },
                "role": "self",
                "name": _("Patrol route"),
            }
        )
    map_data = {
        "tile_url": getattr(settings, "WANGGE_TILE_URL", ""),
        "tile_attribution": getattr(settings, "WANGGE_TILE_ATTRIBUTION", ""),
        "features": features,
        "points": [
            {"lat": f.case.lat, "lng": f.case.lng, "label": f.case.number}
            for f in findings
            if f.case.lat is not None
        ],
    }
    return render(
        request,
        "fieldwork/patrol_detail.html",
        {
            "patrol": patrol,
            "findings": findings,
            "finding_form": FindingForm(),
            "map_data": map_data if len(route) > 1 or map_data["points"] else None,
            "mine": patrol.worker_id == request.user.pk,
        },
    )


@login_required
@require_POST
def patrol_points(request, pk: int):
    """The phone's page posts the route as JSON batches: {"points": [{lat, lng, time}]}."""
    patrol = selectors.patrol_get(user=request.user, pk=pk)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        return JsonResponse({"code": "invalid", "detail": _("The body is not JSON.")}, status=400)
    points = body.get("points") if isinstance(body, dict) else None
    if not isinstance(points, list):
        return JsonResponse(
            {"code": "invalid", "detail": _("Send the points as a list."), "field": "points"},
            status=400,
        )
    try:
        patrol = services.patrol_add_points(actor=request.user, patrol=patrol, points=points)
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    return JsonResponse({"points": patrol.point_count, "distance_m": patrol.distance_m})


@login_required
@require_POST
def patrol_finding(request, pk: int):
    patrol = selectors.patrol_get(user=request.user, pk=pk)
    form = FindingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what you found."))
        return redirect("fieldwork:patrol_detail", pk=pk)
    try:
        case = services.patrol_report_finding(
            actor=request.user,
            patrol=patrol,
            description=form.cleaned_data["description"],
            lat=form.cleaned_data.get("lat"),
            lng=form.cleaned_data.get("lng"),
        )
        messages.success(request, _("Reported as case %(number)s.") % {"number": case.number})
    except DomainError as exc:
        _error(request, exc)
    return redirect("fieldwork:patrol_detail", pk=pk)


# -- visits ------------------------------------------------------------------------------------


@login_required
def visit_new(request):
    user = request.user
    households = selectors.households_for_visit(user=user).order_by("number")
    can_plan = not user_scope(user, Capability.EDIT_PEOPLE).is_empty
    q = request.GET.get("q", "").strip()[:50]
    if request.method == "POST":
        form = VisitForm(request.POST, households=households, can_plan=can_plan)
        if form.is_valid():
            d = form.cleaned_data
            try:
                visit = services.visit_record(
                    actor=user,
                    household=d["household"],
                    kind=d["kind"],
                    notes=d["notes"],
                    needs=d["needs"],
                    plan_situation=d.get("plan_situation", ""),
                    plan_measures=d.get("plan_measures", ""),
                )
            except DomainError as exc:
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, str(exc.message))
                else:
                    form.add_error(None, str(exc.message))
            else:
                n = visit.needs.count()
                if n:
                    messages.success(
                        request,
                        _("Visit recorded; %(n)d need(s) put on the needs list.") % {"n": n},
                    )
                else:
                    messages.success(request, _("Visit recorded."))
                return redirect("fieldwork:visit_detail", pk=visit.pk)
        too_many = False
    else:
        initial = {}
        if request.GET.get("household", "").isdigit():
            initial["household"] = int(request.GET["household"])
        if request.GET.get("kind") in VisitKind.values:
            initial["kind"] = request.GET["kind"]
        shown = household_search(households, q) if q else households
        too_many = not initial.get("household") and shown.count() > HOUSEHOLD_PICKER_MAX
        form = VisitForm(initial=initial, households=shown, can_plan=can_plan)
        if initial.get("household") and not q:
            form.fields["household"].queryset = households
    return render(
        request,
        "fieldwork/visit_form.html",
        {"form": form, "q": q, "too_many": too_many, "picker_max": HOUSEHOLD_PICKER_MAX},
    )


@login_required
def visit_list(request):
    qs = selectors.visits_for_user(user=request.user)
    if request.GET.get("mine", "1") != "0" or not selectors.can_oversee(request.user):
        qs = qs.filter(visitor=request.user)
    kind = request.GET.get("kind")
    if kind in VisitKind.values:
        qs = qs.filter(kind=kind)
    qs = qs.order_by("-visited_at", "-id")
    return render(
        request,
        "fieldwork/visit_list.html",
        {
            "page": _page(request, qs),
            "query": _query_without_page(request),
            "kinds": VisitKind.choices,
            "kind": kind,
        },
    )


@login_required
def visit_detail(request, pk: int):
    visit = selectors.visit_get(user=request.user, pk=pk)
    return render(request, "fieldwork/visit_detail.html", {"visit": visit})


@login_required
def visits_due(request):
    days = selectors.visit_due_days()
    qs = selectors.visits_due(user=request.user, days=days)
    return render(
        request,
        "fieldwork/visits_due.html",
        {"page": _page(request, qs), "days": days, "query": _query_without_page(request)},
    )


# -- daily report ------------------------------------------------------------------------------


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


@login_required
def report(request, day: str | None = None):
    user = request.user
    the_day = _parse_day(day) if day else timezone.localdate()
    if the_day > timezone.localdate():
        raise Http404
    area = services.report_area(user, the_day)
    if (
        area is None
        and not selectors.reports_for_user(user=user).filter(worker=user, day=the_day).exists()
    ):
        raise Http404(_("Only a grid worker writes a daily report."))
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                services.report_save(
                    actor=user,
                    day=the_day,
                    notes=form.cleaned_data["notes"],
                    extra_tasks=form.cleaned_data["extra_tasks"],
                    submit="submit" in request.POST,
                )
            except DomainError as exc:
                _error(request, exc)
            else:
                messages.success(
                    request,
                    _("Daily report submitted.") if "submit" in request.POST else _("Saved."),
                )
                return redirect("fieldwork:report_day", day=the_day.isoformat())
    draft = selectors.report_draft(user, the_day, area=area)
    if request.method != "POST":
        initial = {"extra_tasks": 0, "notes": ""}
        if draft.report is not None:
            initial = {"extra_tasks": draft.report.extra_tasks, "notes": draft.report.notes}
        form = ReportForm(initial=initial)
    return render(
        request,
        "fieldwork/report.html",
        {
            "draft": draft,
            "form": form,
            "day": the_day,
            "is_workday": compliance.is_workday(the_day),
            "kinds": [
                (k, label, draft.stats.visits_by_kind.get(k, 0)) for k, label in VisitKind.choices
            ],
            "previous": the_day - dt.timedelta(days=1),
            "next": the_day + dt.timedelta(days=1) if the_day < timezone.localdate() else None,
        },
    )


@login_required
def report_list(request):
    qs = selectors.reports_for_user(user=request.user).filter(worker=request.user)
    return render(
        request,
        "fieldwork/report_list.html",
        {"page": _page(request, qs.order_by("-day")), "query": _query_without_page(request)},
    )


# -- compliance --------------------------------------------------------------------------------


@login_required
def compliance_day(request):
    _require_oversight(request)
    areas = selectors.areas_for_filter(request.user)
    form = DayFilterForm(request.GET or None, areas=areas)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    day, area = yesterday, None
    if form.is_valid():
        day = form.cleaned_data.get("day") or yesterday
        area = form.cleaned_data.get("area")
    if day > timezone.localdate():
        day = timezone.localdate()
    posts = selectors.workers_in_scope(user=request.user, day=day, area=area)
    if request.GET.get("format") == "xlsx":
        return _xlsx(
            exports.export_day(user=request.user, posts=posts, day=day, area=area),
            f"compliance-{day.isoformat()}.xlsx",
        )
    page = _page(request, posts)
    rows = selectors.day_rows(page.object_list, day)
    return render(
        request,
        "fieldwork/compliance_day.html",
        {
            "form": form,
            "day": day,
            "area": area,
            "page": page,
            "rows": rows,
            "is_workday": compliance.is_workday(day),
            "query": _query_without_page(request),
        },
    )


@login_required
def compliance_month(request):
    _require_oversight(request)
    areas = selectors.areas_for_filter(request.user)
    form = MonthFilterForm(request.GET or None, areas=areas)
    month, area = timezone.localdate().replace(day=1), None
    if form.is_valid():
        month = form.cleaned_data.get("month") or month
        area = form.cleaned_data.get("area")
    posts = selectors.month_workers(user=request.user, month=month, area=area)
    if request.GET.get("format") == "xlsx":
        return _xlsx(
            exports.export_month(user=request.user, posts=posts, month=month, area=area),
            f"compliance-{month:%Y-%m}.xlsx",
        )
    page = _page(request, posts)
    return render(
        request,
        "fieldwork/compliance_month.html",
        {
            "form": form,
            "month": month,
            "area": area,
            "page": page,
            "rows": selectors.month_rows(page.object_list, month),
            "query": _query_without_page(request),
        },
    )


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def coverage(request):
    _require_oversight(request)
    areas = selectors.areas_for_filter(request.user)
    from .forms import AreaFilterForm

    form = AreaFilterForm(request.GET or None, areas=areas)
    area = form.cleaned_data.get("area") if form.is_valid() else None
    days = selectors.visit_due_days()
    villages = selectors.coverage_villages(user=request.user, area=area)
    page = _page(request, villages)
    return render(
        request,
        "fieldwork/coverage.html",
        {
            "form": form,
            "page": page,
            "rows": selectors.coverage_rows(page.object_list, days=days),
            "days": days,
            "query": _query_without_page(request),
        },
    )


# -- norms -------------------------------------------------------------------------------------


@login_required
def norms(request):
    _require_oversight(request)
    manage_scope = user_scope(request.user, Capability.MANAGE_FIELDWORK)
    areas = Area.objects.filter(manage_scope.q("path"), depth__lte=3).order_by("path")
    form = NormForm(request.POST or None, areas=areas)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.norm_set(
                    actor=request.user,
                    area=d["area"],
                    patrols=d["patrols"],
                    visit_kinds=d["visit_kinds"],
                    tasks=d["tasks"],
                    hours=d["hours"],
                )
            except DomainError as exc:
                _error(request, exc)
            else:
                messages.success(request, _("Norm saved."))
                return redirect("fieldwork:norms")
    rows = DailyNorm.objects.filter(selectors.oversight_scope(request.user).q("area_path"))
    return render(
        request,
        "fieldwork/norms.html",
        {
            "form": form,
            "page": _page(request, rows.select_related("area", "updated_by")),
            "can_manage": not manage_scope.is_empty,
            "default": compliance.DEFAULT_NORM,
        },
    )


# -- pledges -----------------------------------------------------------------------------------


@login_required
def campaign_list(request):
    qs = selectors.campaigns_for_user(user=request.user)
    page = _page(request, qs)
    counts = selectors.campaign_counts(page.object_list)
    signed = set(
        Pledge.objects.filter(campaign__in=page.object_list, worker=request.user).values_list(
            "campaign_id", flat=True
        )
    )
    rows = [(c, counts[c.pk], c.pk in signed) for c in page.object_list]
    return render(
        request,
        "fieldwork/campaign_list.html",
        {
            "page": page,
            "rows": rows,
            "can_manage": selectors.can_manage(request.user),
            "query": _query_without_page(request),
        },
    )


@login_required
def campaign_new(request):
    scope = user_scope(request.user, Capability.MANAGE_FIELDWORK)
    if scope.is_empty:
        raise Http404
    areas = Area.objects.filter(scope.q("path"), depth__lte=3).order_by("path")
    form = CampaignForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, str(exc.message))
            else:
                form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Campaign opened: the grid workers can sign now."))
            return redirect("fieldwork:campaign_detail", pk=campaign.pk)
    return render(request, "fieldwork/campaign_form.html", {"form": form})


@login_required
def campaign_detail(request, pk: int):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    mine = Pledge.objects.filter(campaign=campaign, worker=request.user).first()
    can_sign = mine is None and any(
        p.area.path.startswith(campaign.area_path) for p in services.worker_grid_posts(request.user)
    )
    form = SignForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.pledge_sign(
                    actor=request.user,
                    campaign=campaign,
                    signed_name=form.cleaned_data["signed_name"],
                )
            except DomainError as exc:
                form.add_error("signed_name", str(exc.message))
            else:
                messages.success(request, _("Pledge signed."))
                return redirect("fieldwork:campaign_detail", pk=pk)
    ctx = {
        "campaign": campaign,
        "mine": mine,
        "can_sign": can_sign and campaign.deadline >= timezone.localdate(),
        "form": form,
    }
    if selectors.oversight_scope(request.user).covers(campaign.area_path):
        which = request.GET.get("show", "unsigned")
        roster = selectors.campaign_roster(campaign, signed=which == "signed")
        ctx.update(
            show=which,
            roster=_page(request, roster),
            signed_count=selectors.campaign_roster(campaign, signed=True).count(),
            unsigned_count=selectors.campaign_roster(campaign, signed=False).count(),
            query=f"show={which}",
        )
    return render(request, "fieldwork/campaign_detail.html", ctx)


def home_url() -> str:
    return reverse("fieldwork:home")
