"""Staff pages, mounted at /disclosure/."""

from django.urls import path

from . import views

app_name = "disclosure"
urlpatterns = [
    path("", views.disclosure_list, name="list"),
    path("new/", views.disclosure_create, name="create"),
    path("<int:pk>/", views.disclosure_detail, name="detail"),
    path("<int:pk>/edit/", views.disclosure_edit, name="edit"),
    path("<int:pk>/table/", views.disclosure_table, name="table"),
    path("<int:pk>/import/", views.disclosure_import, name="import"),
    path("<int:pk>/attach/", views.disclosure_attach, name="attach"),
    path("<int:pk>/submit/", views.disclosure_submit, name="submit"),
    path("<int:pk>/publish/", views.disclosure_publish, name="publish"),
    path("<int:pk>/return/", views.disclosure_return, name="return"),
    path("completeness/", views.completeness, name="completeness"),
    path("completeness/export/", views.export_completeness, name="completeness_export"),
    path("export/", views.export_village, name="export"),
    path("statistics/", views.statistics, name="statistics"),
    path("decisions/", views.decision_list, name="decision_list"),
    path("decisions/new/", views.decision_create, name="decision_create"),
    path("decisions/one-matter/new/", views.one_matter_create, name="one_matter_create"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision_detail"),
    path("issues/", views.issue_list, name="issue_list"),
    path("issues/new/", views.issue_create, name="issue_create"),
    path("issues/<int:pk>/rectify/", views.issue_rectify, name="issue_rectify"),
    path("issues/<int:pk>/cross-off/", views.issue_cross_off, name="issue_cross_off"),
    path("issues/<int:pk>/reopen/", views.issue_reopen, name="issue_reopen"),
    path("questions/", views.feedback_list, name="feedback_list"),
    path("questions/<int:pk>/answer/", views.feedback_answer, name="feedback_answer"),
]
