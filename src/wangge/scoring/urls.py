from django.urls import path

from . import views

app_name = "scoring"
urlpatterns = [
    path("", views.index, name="index"),
    path("ledger/", views.ledger, name="ledger"),
    path("entries/new/", views.entry_new, name="entry_new"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("ranking/", views.ranking, name="ranking"),
    path("assessments/", views.assessment_list, name="assessments"),
    path("assessments/run/", views.run_assessments, name="assessments_run"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("admonishments/", views.admonishment_list, name="admonishments"),
    path("admonishments/<int:pk>/", views.admonishment_detail, name="admonishment"),
    path("commendations/", views.commendations, name="commendations"),
    path("settings/", views.settings_page, name="settings"),
]
