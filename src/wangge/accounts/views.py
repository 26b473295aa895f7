from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .choices import ROLE_CAPABILITIES, Capability
from .forms import LoginForm
from .selectors import active_posts


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def profile(request):
    """The user's own posts and what they allow."""
    posts = active_posts(request.user)
    caps = set()
    for post in posts:
        caps |= ROLE_CAPABILITIES.get(post.role, set())
    if request.user.is_superuser:
        caps = set(Capability.values)
    capabilities = [c.label for c in Capability if c.value in caps]
    return render(request, "accounts/profile.html", {"posts": posts, "capabilities": capabilities})
