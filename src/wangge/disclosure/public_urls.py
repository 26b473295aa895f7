"""Public pages 一村一码, mounted at /v/: no login."""

from django.urls import path

from . import public_views

app_name = "disclosure_public"
urlpatterns = [
    path("<str:code>/", public_views.village, name="village"),
    path("<str:code>/qr.png", public_views.qr_png, name="qr"),
    path("<str:code>/poster/", public_views.poster, name="poster"),
    path("<str:code>/supervise/", public_views.supervise, name="supervise"),
    path("<str:code>/d/<int:pk>/", public_views.disclosure_detail, name="disclosure"),
    path("<str:code>/decisions/<int:pk>/", public_views.decision_detail, name="decision"),
]
