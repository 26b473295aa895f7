"""/api/: one router for every app's viewsets (each app's api.register(router)), the token
login, the OpenAPI schema and its browsable docs."""

from importlib import import_module
from importlib.util import find_spec

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from wangge.accounts.api import TokenView

# URLs are tried in this order: cases first, for the phones' reports (POST /api/cases/) are by
# far the most frequent API request, and each pattern tried before theirs costs every one of them.
API_MODULES = [
    "wangge.cases.api",
    "wangge.areas.api",
    "wangge.accounts.api",
    "wangge.people.api",
    "wangge.party.api",
    "wangge.disclosure.api",
    "wangge.fieldwork.api",
    "wangge.supervision.api",
    "wangge.scoring.api",
]

router = DefaultRouter()
for name in API_MODULES:
    # An app whose API has not been written yet is skipped; one that fails to import is not.
    if find_spec(name) is None:
        continue
    register = getattr(import_module(name), "register", None)
    if register is not None:
        register(router)

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    *router.urls,
]
