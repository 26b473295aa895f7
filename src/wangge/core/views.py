from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wangge import __version__


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


def home(request):
    from django.contrib.auth.decorators import login_required
    from django.shortcuts import render

    @login_required
    def _home(request):
        return render(request, "core/home.html", {})

    return _home(request)
