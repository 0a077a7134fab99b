from django.urls import path

from apps.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("deployments/<int:pk>/charts/", views.deployment_charts, name="charts"),
    path("fleet/", views.fleet_page, name="fleet"),
    path("fleet/sparklines/", views.sparklines, name="sparklines"),
]
