from django.urls import path

from . import views

app_name = "areas"
urlpatterns = [
    path("", views.area_list, name="list"),
    path("<int:pk>/", views.area_detail, name="detail"),
    path("<int:pk>/edit/", views.area_edit, name="edit"),
]
