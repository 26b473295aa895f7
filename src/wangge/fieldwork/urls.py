from django.urls import path

from . import views

app_name = "fieldwork"
urlpatterns = [
    path("", views.home, name="home"),
    path("patrols/", views.patrol_list, name="patrol_list"),
    path("patrols/start/", views.patrol_start, name="patrol_start"),
    path("patrols/<int:pk>/", views.patrol_detail, name="patrol_detail"),
    path("patrols/<int:pk>/stop/", views.patrol_stop, name="patrol_stop"),
    path("patrols/<int:pk>/points/", views.patrol_points, name="patrol_points"),
    path("patrols/<int:pk>/finding/", views.patrol_finding, name="patrol_finding"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/due/", views.visits_due, name="visits_due"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/today/", views.report, name="report"),
    path("reports/<str:day>/", views.report, name="report_day"),
    path("compliance/", views.compliance_day, name="compliance_day"),
    path("compliance/month/", views.compliance_month, name="compliance_month"),
    path("coverage/", views.coverage, name="coverage"),
    path("norms/", views.norms, name="norms"),
    path("pledges/", views.campaign_list, name="campaign_list"),
    path("pledges/new/", views.campaign_new, name="campaign_new"),
    path("pledges/<int:pk>/", views.campaign_detail, name="campaign_detail"),
]
