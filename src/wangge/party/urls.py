from django.urls import path

from . import views

app_name = "party"
urlpatterns = [
    path("", views.org_list, name="org_list"),
    path("orgs/<int:pk>/", views.org_detail, name="org_detail"),
    path("orgs/<int:pk>/coverage/", views.coverage, name="coverage"),
    path("orgs/<int:pk>/meetings/", views.meeting_list, name="meeting_list"),
    path("orgs/<int:pk>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("me/", views.my_page, name="me"),
    path("me/report-in/", views.dual_register_me, name="dual_register_me"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("dual/", views.community_list, name="community_list"),
    path("dual/<int:pk>/", views.community_detail, name="community_detail"),
    path("dual/registrations/<int:pk>/service/", views.service_record, name="service_record"),
    path("posts/", views.model_post_list, name="model_post_list"),
    path("posts/<int:pk>/claim/", views.model_post_claim, name="model_post_claim"),
    path("posts/<int:pk>/release/", views.model_post_release, name="model_post_release"),
    path("needs/", views.need_list, name="need_list"),
    path("needs/<int:pk>/claim/", views.need_claim, name="need_claim"),
    path("needs/<int:pk>/release/", views.need_release, name="need_release"),
    path("needs/<int:pk>/fulfil/", views.need_fulfil, name="need_fulfil"),
    path("needs/<int:pk>/convert/", views.need_convert, name="need_convert"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_new, name="team_new"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/members/", views.team_members, name="team_members"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/new/", views.call_new, name="call_new"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/sign-up/", views.call_sign_up, name="call_sign_up"),
    path("calls/<int:pk>/turnout/", views.call_turnout, name="call_turnout"),
    path("households/<int:household_pk>/visited/", views.contact_visited, name="contact_visited"),
]
