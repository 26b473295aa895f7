"""URLconf for the scoring API tests: the scoring viewsets on their own router, as
wangge.api_urls mounts them under /api/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from wangge.scoring.api import register

router = DefaultRouter()
register(router)

urlpatterns = [path("api/", include(router.urls))]
