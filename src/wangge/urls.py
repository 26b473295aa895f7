from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.generic import RedirectView

from wangge.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    # Browsers ask for it whatever the pages' <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=static_url("wangge/favicon.svg"))),
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
