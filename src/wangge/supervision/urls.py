"""Pages of supervision and bulletins, mounted at /supervision/."""

from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.index, name="index"),
    path("items/", views.item_list, name="item_list"),
    path("items/new/", views.item_create, name="item_create"),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/new/", views.inspection_create, name="inspection_create"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("problems/", views.problem_list, name="problem_list"),
    path("problems/<int:pk>/", views.problem_detail, name="problem_detail"),
    path("problems/<int:pk>/rectify/", views.problem_rectify, name="problem_rectify"),
    path("problems/<int:pk>/verify/", views.problem_verify, name="problem_verify"),
    path("problems/<int:pk>/reject/", views.problem_reject, name="problem_reject"),
    path("problems/<int:pk>/cross-off/", views.problem_cross_off, name="problem_cross_off"),
    path("problems/<int:pk>/follow-up/", views.problem_follow_up, name="problem_follow_up"),
    path("problems/<int:pk>/to-case/", views.problem_to_case, name="problem_to_case"),
    path("statistics/", views.statistics, name="statistics"),
    path("bulletins/", views.bulletin_list, name="bulletin_list"),
    path("bulletins/new/", views.bulletin_generate, name="bulletin_generate"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/edit/", views.bulletin_edit, name="bulletin_edit"),
    path("bulletins/<int:pk>/review/", views.bulletin_review, name="bulletin_review"),
    path("bulletins/<int:pk>/publish/", views.bulletin_publish, name="bulletin_publish"),
    path("bulletins/<int:pk>/regenerate/", views.bulletin_regenerate, name="bulletin_regenerate"),
    path("bulletins/<int:pk>/print/", views.bulletin_print, name="bulletin_print"),
    path("bulletins/<int:pk>/xlsx/", views.bulletin_xlsx, name="bulletin_xlsx"),
]
