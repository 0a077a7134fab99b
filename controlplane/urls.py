"""Top-level URL map: health, admin, and each app's pages."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("apps.core.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("controlplane.api")),
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="home"),
]
