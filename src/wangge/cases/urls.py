from django.urls import path

from . import public

app_name = "cases"
urlpatterns = [
    path("report/<str:area_code>/", public.report, name="public_report"),
    path("receipt/<str:code>/", public.receipt, name="receipt"),
]
