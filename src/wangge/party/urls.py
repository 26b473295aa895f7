from django.urls import path

from . import views

app_name = "party"
urlpatterns = [
    path("", views.org_list, name="org_list"),
    path("orgs/<int:pk>/", views.org_detail, name="org_detail"),
    path("me/", views.my_page, name="me"),
    path("needs/<int:pk>/claim/", views.need_claim, name="need_claim"),
    path("needs/<int:pk>/fulfil/", views.need_fulfil, name="need_fulfil"),
    path("households/<int:household_pk>/visited/", views.contact_visited, name="contact_visited"),
]
