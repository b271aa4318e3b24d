"""UI routes: settings for the SPA, then the index fallback for every other path."""

from django.urls import path, re_path

from ui import views

urlpatterns = [
    path("ui-settings", views.ui_settings),
    # Anything not claimed by the API, admin or static files is a page of the SPA.
    re_path(r"^(?!api(?:/|$)|admin/|static/).*$", views.spa_index),
]
