from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from wangge.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("wangge.api_urls")),
    path("accounts/", include("wangge.accounts.urls")),
    path("areas/", include("wangge.areas.urls")),
    path("people/", include("wangge.people.urls")),
    path("io/", include("wangge.io_urls")),
    path("cases/", include("wangge.cases.urls")),
    path("open311/", include("wangge.cases.open311_urls")),
    path("t/", include("wangge.cases.public_urls")),
    path("party/", include("wangge.party.urls")),
    path("disclosure/", include("wangge.disclosure.urls")),
    path("v/", include("wangge.disclosure.public_urls")),
    path("fieldwork/", include("wangge.fieldwork.urls")),
    path("supervision/", include("wangge.supervision.urls")),
    path("points/", include("wangge.scoring.urls")),
    path("", include("wangge.core.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
