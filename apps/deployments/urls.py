from django.urls import path

from apps.deployments import deploy_views, views

app_name = "deployments"
urlpatterns = [
    path("deployments/", views.deployment_list, name="list"),
    path("deployments/new/", deploy_views.new_deployment, name="new"),
    path("deployments/preview/", deploy_views.preview, name="preview"),
]
