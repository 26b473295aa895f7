"""Households and residents pages. Reads go through people.selectors (scope-filtered, 404
outside the scope); writes through people.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.choices import Capability
from wangge.accounts.models import User
from wangge.accounts.selectors import grid_workers, user_scope
from wangge.areas.choices import LEVEL_DEPTH, AreaLevel
from wangge.areas.selectors import areas_for_user
from wangge.areas.views import tile_settings
from wangge.core.errors import DomainError, NotFound
from wangge.core.errors import PermissionDenied as DomainPermissionDenied
from wangge.core.forms import add_domain_error

from . import services
from .choices import Gender, Relation, TagTarget
from .filters import HouseholdFilter, ResidentFilter
from .forms import HouseholdForm, ResidentForm, RevealForm, ServicePlanForm
from .models import ServicePlan, Tag
from .selectors import household_get, households_for_user, resident_get, residents_for_user

PAGE_SIZE = 30


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _filter_areas(user):
    """Areas offered in the area filter: the user's scope roots and two levels below them
    (a county office picks a town or village, a village chief a grid), down to grids."""
    scope = user_scope(user, Capability.VIEW_PEOPLE)
    qs = areas_for_user(user=user, capability=Capability.VIEW_PEOPLE).filter(is_active=True)
    if scope.is_global:
        max_depth = 3
    else:
        max_depth = max((len(p) // 4 for p in scope.paths), default=1) + 2
    max_depth = min(max_depth, LEVEL_DEPTH[AreaLevel.MICROGRID])
    areas = list(qs.filter(depth__lte=max_depth).only("id", "name", "depth", "level", "path"))
    top = min((a.depth for a in areas), default=1)
    for a in areas:
        a.indent = "\u3000" * (a.depth - top)
    return areas


def _edit_areas(user):
    return (
        areas_for_user(user=user, capability=Capability.EDIT_PEOPLE)
        .filter(level__in=[AreaLevel.GRID, AreaLevel.MICROGRID], is_active=True)
        .select_related("parent")
    )


def _require_edit(user, path: str) -> None:
    if not user_scope(user, Capability.EDIT_PEOPLE).covers(path):
        raise PermissionDenied


def key_tag_ids() -> set[int]:
    """Ids of the key (重点) tags, to highlight them without loading each tag's flag."""
    return set(Tag.objects.filter(is_key=True).values_list("pk", flat=True))


def _tags(target: str):
    return list(Tag.objects.filter(Q(target=target) | Q(target=TagTarget.BOTH)))


# Households ---------------------------------------------------------------------------------


@login_required
def household_list(request):
    qs = households_for_user(user=request.user)
    filterset = HouseholdFilter(request.GET, queryset=qs)
    rows = filterset.qs if filterset.is_valid() else qs.none()
    page = _page(request, rows)
    return render(
        request,
        "people/household_list.html",
        {
            "page": page,
            "filterset": filterset,
            "query": _query_without_page(request),
            "tags": _tags(TagTarget.HOUSEHOLD),
            "key_tag_ids": key_tag_ids(),
            "areas": _filter_areas(request.user),
            "can_edit": not user_scope(request.user, Capability.EDIT_PEOPLE).is_empty,
        },
    )


@login_required
def household_detail(request, pk: int):
    household = household_get(user=request.user, pk=pk)
    members = list(residents_for_user(user=request.user).filter(household=household).order_by("id"))
    plan = (
        ServicePlan.objects.filter(household=household)
        .select_related("responsible", "updated_by")
        .first()
    )
    map_data = None
    grid = household.grid
    if household.lat is not None or grid.boundary:
        features = []
        if grid.boundary:
            features.append({"name": grid.name, "geometry": grid.boundary, "role": "self"})
        points = []
        if household.lat is not None and household.lng is not None:
            points.append({"lat": household.lat, "lng": household.lng, "label": household.address})
        map_data = {**tile_settings(), "features": features, "points": points}
    return render(
        request,
        "people/household_detail.html",
        {
            "household": household,
            "members": members,
            "plan": plan,
            "key_tag_ids": key_tag_ids(),
            "map_data": map_data,
            "can_edit": user_scope(request.user, Capability.EDIT_PEOPLE).covers(
                household.area_path
            ),
        },
    )


@login_required
def household_create(request):
    areas = _edit_areas(request.user)
    if user_scope(request.user, Capability.EDIT_PEOPLE).is_empty:
        raise PermissionDenied
    initial = {}
    if request.GET.get("area", "").isdigit():
        initial["area"] = int(request.GET["area"])
    form = HouseholdForm(request.POST or None, areas=areas, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_create(
                actor=request.user,
                number=data["number"],
                area=data["area"],
                address=data["address"],
                phone=data["phone"],
                tags=data["tags"],
                lat=data["lat"],
                lng=data["lng"],
                notes=data["notes"],
            )
        except DomainError as exc:
            add_domain_error(form, exc, {"location": "lat"})
        else:
            messages.success(request, _("Household %(n)s was created.") % {"n": household.number})
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/household_form.html", {"form": form, "household": None})


@login_required
def household_edit(request, pk: int):
    household = household_get(user=request.user, pk=pk)
    _require_edit(request.user, household.area_path)
    initial = {
        "area": household.area_id,
        "address": household.address,
        "phone": household.phone,
        "notes": household.notes,
        "tags": list(household.tags.all()),
    }
    form = HouseholdForm(
        request.POST or None, areas=_edit_areas(request.user), initial=initial, editing=True
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.household_update(
                actor=request.user,
                household=household,
                address=data["address"],
                phone=data["phone"],
                notes=data["notes"],
                tags=data["tags"],
                area=data["area"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The household was saved."))
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/household_form.html", {"form": form, "household": household})


@login_required
def service_plan_edit(request, pk: int):
    household = household_get(user=request.user, pk=pk)
    _require_edit(request.user, household.area_path)
    plan = ServicePlan.objects.filter(household=household).first()
    choices = User.objects.filter(
        Q(pk__in=grid_workers(household.grid).values("pk"))
        | Q(pk=request.user.pk)
        | Q(pk=getattr(plan, "responsible_id", None))
    ).distinct()
    initial = {}
    if plan is not None:
        initial = {
            "situation": plan.situation,
            "needs": plan.needs,
            "measures": plan.measures,
            "responsible": plan.responsible_id,
        }
    form = ServicePlanForm(request.POST or None, initial=initial, responsible_choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.service_plan_update(
                actor=request.user, household=household, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The household plan was saved."))
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/service_plan_form.html", {"form": form, "household": household})


# Residents ----------------------------------------------------------------------------------


@login_required
def resident_list(request):
    qs = residents_for_user(user=request.user).order_by("household__number", "id")
    filterset = ResidentFilter(request.GET, queryset=qs)
    rows = filterset.qs if filterset.is_valid() else qs.none()
    page = _page(request, rows)
    return render(
        request,
        "people/resident_list.html",
        {
            "page": page,
            "filterset": filterset,
            "query": _query_without_page(request),
            "tags": _tags(TagTarget.RESIDENT),
            "key_tag_ids": key_tag_ids(),
            "areas": _filter_areas(request.user),
            "genders": Gender.choices,
            "relations": Relation.choices,
        },
    )


def _resident_context(request, resident, revealed: str | None = None) -> dict:
    return {
        "resident": resident,
        "household": resident.household,
        "revealed": revealed,
        "key_tag_ids": key_tag_ids(),
        "can_reveal": user_scope(request.user, Capability.REVEAL_ID).covers(resident.area_path),
        "can_edit": user_scope(request.user, Capability.EDIT_PEOPLE).covers(resident.area_path),
    }


@login_required
def resident_detail(request, pk: int):
    resident = resident_get(user=request.user, pk=pk)
    return render(request, "people/resident_detail.html", _resident_context(request, resident))


@login_required
@require_POST
def resident_reveal(request, pk: int):
    """Show the full ID number: audited by the service; refused (404) without reveal_id."""
    resident = resident_get(user=request.user, pk=pk)
    form = RevealForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        number = services.resident_reveal_id(actor=request.user, resident=resident, reason=reason)
    except NotFound:
        raise Http404
    except DomainPermissionDenied:
        raise PermissionDenied
    context = _resident_context(request, resident, revealed=number)
    if request.htmx:
        return render(request, "people/_id_number.html", context)
    return render(request, "people/resident_detail.html", context)


@login_required
def resident_create(request, household_pk: int):
    household = household_get(user=request.user, pk=household_pk)
    _require_edit(request.user, household.area_path)
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resident = services.resident_create(
                actor=request.user,
                household=household,
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                ethnicity=data["ethnicity"],
                relation=data["relation"],
                is_away=data["is_away"],
                is_party_member=data["is_party_member"],
                tags=data["tags"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": resident.name})
            return redirect("people:household_detail", pk=household.pk)
    return render(
        request,
        "people/resident_form.html",
        {"form": form, "household": household, "resident": None},
    )


@login_required
def resident_edit(request, pk: int):
    resident = resident_get(user=request.user, pk=pk)
    _require_edit(request.user, resident.area_path)
    initial = {
        "name": resident.name,
        "phone": resident.phone,
        "ethnicity": resident.ethnicity,
        "relation": resident.relation,
        "is_away": resident.is_away,
        "is_party_member": resident.is_party_member,
        "is_deceased": resident.is_deceased,
        "tags": list(resident.tags.all()),
    }
    form = ResidentForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.resident_update(
                actor=request.user,
                resident=resident,
                name=data["name"],
                phone=data["phone"],
                ethnicity=data["ethnicity"],
                relation=data["relation"],
                is_away=data["is_away"],
                is_party_member=data["is_party_member"],
                is_deceased=data["is_deceased"],
                tags=data["tags"],
                id_number=data["id_number"] or None,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The resident was saved."))
            return redirect("people:resident_detail", pk=resident.pk)
    return render(
        request,
        "people/resident_form.html",
        {"form": form, "household": resident.household, "resident": resident},
    )
