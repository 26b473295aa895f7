from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wangge import __version__
from wangge.accounts.choices import GRID_WORKER_ROLES, Capability
from wangge.accounts.selectors import Scope, active_posts, user_scope
from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.areas.overview import with_counts
from wangge.areas.selectors import areas_for_user
from wangge.people.selectors import households_for_user
from wangge.people.views import key_tag_ids


@never_cache
@require_GET
def healthz(request):
    """Liveness and database check for the load balancer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db_ok = True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        db_ok = False
    return JsonResponse(
        {
            "status": "ok" if db_ok else "error",
            "database": db_ok,
            "version": __version__,
            "vendor": connection.vendor,
        },
        status=200 if db_ok else 503,
    )


@login_required
def home(request):
    """A dashboard by role: a grid worker sees the own grids and their key households; an
    official sees the area(s) of the posts with grids, households and residents per child."""
    user = request.user
    posts = active_posts(user)
    grid_ids = sorted(
        {
            p.area_id
            for p in posts
            if p.role in GRID_WORKER_ROLES and p.area.level in (AreaLevel.GRID, AreaLevel.MICROGRID)
        }
    )
    visible = areas_for_user(user=user)
    scope = user_scope(user)
    context = {"posts": posts, "grids": [], "key_households": [], "roots": []}

    if grid_ids:
        grids = list(with_counts(visible.filter(pk__in=grid_ids)).select_related("ab_partner"))
        in_my_grids = Scope(tuple(g.path for g in grids)).q("area_path")
        key_qs = households_for_user(user=user).filter(in_my_grids, tags__is_key=True).distinct()
        context["grids"] = grids
        context["key_households"] = list(key_qs[:20])
        context["key_total"] = key_qs.count()

    # Officials (and anyone with a post above grid level): their areas with per-child counts.
    if scope.is_global:
        root_qs = visible.filter(depth=1)
    else:
        root_qs = visible.filter(path__in=scope.paths).exclude(pk__in=grid_ids)
    roots = list(with_counts(root_qs))
    if roots:
        children = with_counts(
            visible.filter(parent_id__in=[r.pk for r in roots], is_active=True)
        ).order_by("path")
        by_parent: dict[int, list[Area]] = {}
        for child in children:
            by_parent.setdefault(child.parent_id, []).append(child)
        for root in roots:
            root.child_rows = by_parent.get(root.pk, [])
    context["roots"] = roots
    context["key_tag_ids"] = key_tag_ids()
    context["can_view_people"] = not user_scope(user, Capability.VIEW_PEOPLE).is_empty
    return render(request, "core/home.html", context)
