from django.urls import path

from apps.registry import views

app_name = "registry"
urlpatterns = [
    path("models/", views.model_list, name="models"),
    path("models/new/", views.model_create, name="model-new"),
    path("models/<int:pk>/", views.model_detail, name="model"),
    path("models/<int:pk>/versions/new/", views.version_create, name="version-new"),
]
