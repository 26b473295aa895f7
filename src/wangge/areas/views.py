"""The area browser: the territory tree from the user's posts down, with counts and maps."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from wangge.accounts.choices import Capability
from wangge.accounts.selectors import user_scope
from wangge.core.errors import DomainError
from wangge.core.forms import add_domain_error

from . import services
from .choices import AreaLevel
from .filters import AreaFilter
from .forms import AreaForm
from .models import Area
from .overview import area_history, area_posts, with_counts
from .selectors import area_get, areas_for_user


def tile_settings() -> dict:
    return {
        "tile_url": getattr(settings, "WANGGE_TILE_URL", ""),
        "tile_attribution": getattr(settings, "WANGGE_TILE_ATTRIBUTION", ""),
    }


def breadcrumb(user, area: Area) -> list[dict]:
    """Ancestors of `area` (one query); those outside the user's scope are shown unlinked."""
    scope = user_scope(user)
    crumbs = [
        {
            "name": a.name,
            "url": reverse("areas:detail", args=[a.pk]) if scope.covers(a.path) else "",
        }
        for a in area.ancestors()
    ]
    crumbs.append({"name": area.name, "url": ""})
    return crumbs


@login_required
def area_list(request):
    """The user's scope roots, each with its children and their counts; or search results."""
    visible = areas_for_user(user=request.user)
    scope = user_scope(request.user)
    search = AreaFilter(request.GET or None, queryset=visible)
    results = None
    if request.GET.get("q", "").strip() and search.is_valid():
        results = list(search.qs.select_related("parent")[:50])
    roots_qs = visible.filter(depth=1) if scope.is_global else visible.filter(path__in=scope.paths)
    roots = list(with_counts(roots_qs))
    children = with_counts(visible.filter(parent_id__in=[r.pk for r in roots])).order_by("path")
    by_parent: dict[int, list[Area]] = {}
    for child in children:
        by_parent.setdefault(child.parent_id, []).append(child)
    for root in roots:
        root.child_rows = by_parent.get(root.pk, [])
    return render(
        request,
        "areas/area_list.html",
        {"roots": roots, "results": results, "q": request.GET.get("q", "")},
    )


def _map_data(area: Area, children: list[Area], partner: Area | None, user) -> dict:
    features = []
    if area.boundary:
        features.append({"name": area.name, "geometry": area.boundary, "role": "self"})
    for child in children:
        if child.boundary:
            features.append(
                {
                    "name": child.name,
                    "geometry": child.boundary,
                    "role": "child",
                    "url": reverse("areas:detail", args=[child.pk]),
                    "note": _("%(n)d households") % {"n": child.n_households},
                }
            )
    if partner is not None and partner.boundary:
        features.append(
            {
                "name": _("AB partner: %(name)s") % {"name": partner.name},
                "geometry": partner.boundary,
                "role": "partner",
                "url": reverse("areas:detail", args=[partner.pk])
                if user_scope(user).covers(partner.path)
                else "",
            }
        )
    points = []
    if not features and area.centroid_lat is not None:
        points.append({"lat": area.centroid_lat, "lng": area.centroid_lng, "label": area.name})
    return {**tile_settings(), "features": features, "points": points}


@login_required
def area_detail(request, pk: int):
    area = area_get(user=request.user, pk=pk)
    area = with_counts(Area.objects.filter(pk=area.pk)).select_related("ab_partner").get()
    visible = areas_for_user(user=request.user)
    children = list(with_counts(visible.filter(parent=area).defer(None)).order_by("path"))
    partner = area.ab_partner
    can_manage = user_scope(request.user, Capability.MANAGE_AREAS).covers(area.path)
    can_view_people = user_scope(request.user, Capability.VIEW_PEOPLE).covers(area.path)
    return render(
        request,
        "areas/area_detail.html",
        {
            "area": area,
            "children": children,
            "partner": partner,
            "partner_visible": partner is not None
            and user_scope(request.user).covers(partner.path),
            "crumbs": breadcrumb(request.user, area),
            "posts": list(area_posts(area)),
            "history": list(area_history(area)),
            "map_data": _map_data(area, children, partner, request.user),
            "can_manage": can_manage,
            "can_view_people": can_view_people,
            "is_grid": area.level in (AreaLevel.GRID, AreaLevel.MICROGRID),
        },
    )


@login_required
def area_edit(request, pk: int):
    area = area_get(user=request.user, pk=pk)
    area = Area.objects.select_related("ab_partner").get(pk=area.pk)
    if not user_scope(request.user, Capability.MANAGE_AREAS).covers(area.path):
        raise PermissionDenied
    partners = None
    if area.level == AreaLevel.GRID:
        # Adjacent grids are in the same town; only grids the user may manage are offered.
        town_path = area.path[: area.steplen * 2]
        partners = (
            areas_for_user(user=request.user, capability=Capability.MANAGE_AREAS)
            .filter(level=AreaLevel.GRID, is_active=True, path__startswith=town_path)
            .exclude(pk=area.pk)
            .select_related("parent")
        )
    form = AreaForm(request.POST or None, area=area, partner_choices=partners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kwargs = {"name": data["name"]}
        if "kind" in data:
            kwargs["kind"] = data["kind"]
        if data.get("centroid_lat") is not None:
            kwargs["centroid_lat"] = data["centroid_lat"]
            kwargs["centroid_lng"] = data["centroid_lng"]
        if form.boundary_changed():
            kwargs["boundary"] = data["boundary"]
        try:
            with transaction.atomic():
                services.area_update(actor=request.user, area=area, **kwargs)
                if "ab_partner" in data and data["ab_partner"] != area.ab_partner:
                    services.area_set_ab_partners(
                        actor=request.user, grid=area, partner=data["ab_partner"]
                    )
        except DomainError as exc:
            add_domain_error(
                form, exc, {"location": "centroid_lat", "partner": "ab_partner", "grid": None}
            )
        else:
            messages.success(request, _("The area was saved."))
            return redirect("areas:detail", pk=area.pk)
    return render(
        request,
        "areas/area_form.html",
        {"area": area, "form": form, "crumbs": breadcrumb(request.user, area)},
    )
