"""Top-level URL map: health, admin, and each app's pages."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from apps.monitoring.api import DeploymentMetricsView

urlpatterns = [
    path("", include("apps.core.urls")),
    path("admin/", admin.site.urls),
    path("", include("apps.accounts.urls")),
    path("", include("apps.registry.urls")),
    path("", include("apps.quotas.urls")),
    path("", include("apps.deployments.urls")),
    path("", include("apps.monitoring.urls")),
    # Beside the deployments API (controlplane/api.py), served by apps.monitoring.
    path(
        "api/v1/deployments/<int:pk>/metrics/",
        DeploymentMetricsView.as_view(),
        name="api-deployment-metrics",
    ),
    path("api/", include("controlplane.api")),
    path("", RedirectView.as_view(pattern_name="deployments:list"), name="home"),
]
