from django.urls import path

from . import views

# No namespace: settings.LOGIN_URL is the global name "login", as Django's auth views expect.
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.profile, name="profile"),
]
