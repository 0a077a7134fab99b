from django.urls import path

from apps.deployments import views

app_name = "deployments"
urlpatterns = [
    path("deployments/", views.deployment_list, name="list"),
]
