"""The REST API's URL map under /api/v1/, and its schema and docs."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from apps.accounts.api import MeView, TeamMemberViewSet, TokenViewSet
from apps.clusters.api import EnvironmentViewSet
from apps.core.api import api_not_found
from apps.deployments.api import (
    DeploymentEventViewSet,
    DeploymentViewSet,
    EventViewSet,
    RevisionViewSet,
)
from apps.deployments.pods_api import PodViewSet
from apps.quotas.api import TeamWithQuotaViewSet
from apps.registry.api import ModelVersionViewSet, ModelViewSet

router = SimpleRouter()
router.register("teams", TeamWithQuotaViewSet, basename="team")
router.register(r"teams/(?P<team_pk>\d+)/members", TeamMemberViewSet, basename="team-member")
router.register("tokens", TokenViewSet, basename="token")
router.register("environments", EnvironmentViewSet, basename="environment")
router.register("models", ModelViewSet, basename="model")
router.register(r"models/(?P<model_pk>\d+)/versions", ModelVersionViewSet, basename="version")
router.register("deployments", DeploymentViewSet, basename="deployment")
router.register(
    r"deployments/(?P<deployment_pk>\d+)/revisions", RevisionViewSet, basename="revision"
)
router.register(
    r"deployments/(?P<deployment_pk>\d+)/events",
    DeploymentEventViewSet,
    basename="deployment-event",
)
router.register(r"deployments/(?P<deployment_pk>\d+)/pods", PodViewSet, basename="pod")
router.register("events", EventViewSet, basename="event")

urlpatterns = [
    path("v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("v1/me/", MeView.as_view(), name="api-me"),
    path("v1/", include(router.urls)),
    path(
        "docs/",
        login_required(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    re_path(r"", api_not_found),
]
