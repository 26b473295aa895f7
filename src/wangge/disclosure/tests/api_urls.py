"""A URLconf for the API tests: the project router may not list this app yet."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from wangge.disclosure.api import register

router = DefaultRouter()
register(router)

urlpatterns = [
    path("api/", include(router.urls)),
    path("v/", include("wangge.disclosure.public_urls")),
]
