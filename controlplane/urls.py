"""Top-level URL map: health, admin, and each app's pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("apps.core.urls")),
    path("admin/", admin.site.urls),
]
