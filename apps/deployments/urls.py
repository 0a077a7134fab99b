from django.urls import path

from apps.deployments import audit_views, deploy_views, views
from apps.deployments.pages import actions, detail, logs

app_name = "deployments"
urlpatterns = [
    path("deployments/", views.deployment_list, name="list"),
    path("deployments/new/", deploy_views.new_deployment, name="new"),
    path("deployments/preview/", deploy_views.preview, name="preview"),
    path("deployments/<int:pk>/", detail.deployment_page, name="detail"),
    path("deployments/<int:pk>/live/<str:part>/", detail.live_fragment, name="live"),
    path("deployments/<int:pk>/logs/", logs.log_fragment, name="log"),
    path("deployments/<int:pk>/logs/download/", logs.log_download, name="log-download"),
    path("deployments/<int:pk>/actions/<str:verb>/", actions.act, name="act"),
    path("teams/<int:pk>/audit/", audit_views.team_audit, name="team-audit"),
]
