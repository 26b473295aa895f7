from django.urls import path

from . import public, views

app_name = "cases"
urlpatterns = [
    path("", views.board, name="list"),
    path("todo/", views.todo, name="todo"),
    path("new/", views.new, name="new"),
    path("kpis/", views.kpi_page, name="kpis"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:name>/", views.act, name="act"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("report/<str:area_code>/", public.report, name="public_report"),
    path("receipt/<str:code>/", public.receipt, name="receipt"),
]
