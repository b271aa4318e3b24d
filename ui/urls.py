"""UI routes: settings for the SPA, sign-in and sign-out, then the index fallback."""

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from ui import views

urlpatterns = [
    path("ui-settings", views.ui_settings),
    # Django's own auth views (sessions); django-axes throttles failed sign-ins.
    path("login/", auth_views.LoginView.as_view(template_name="ui/login.html", redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Anything not claimed by the API, admin or static files is a page of the SPA.
    re_path(r"^(?!api(?:/|$)|admin/|static/).*$", views.spa_index),
]
