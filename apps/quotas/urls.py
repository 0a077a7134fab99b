from django.urls import path

from apps.quotas import views

app_name = "quotas"
urlpatterns = [
    path("teams/<int:pk>/quota/", views.team_quota, name="team"),
    path("platform/quotas/", views.platform_overview, name="overview"),
]
