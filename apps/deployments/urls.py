from django.urls import path

from apps.deployments import audit_views, views

app_name = "deployments"
urlpatterns = [
    path("deployments/", views.deployment_list, name="list"),
    path("teams/<int:pk>/audit/", audit_views.team_audit, name="team-audit"),
]
