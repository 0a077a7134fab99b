"""Sign-in and sign-out for ML engineers (the admin's own login is for staff only), and
the team and token pages (namespace `accounts`)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from apps.accounts import views

pages = [
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_page, name="team"),
    path("teams/<int:pk>/members/", views.add_member, name="add-member"),
    path("teams/<int:pk>/members/<int:member>/", views.change_role, name="change-role"),
    path("teams/<int:pk>/members/<int:member>/remove/", views.remove_member, name="remove-member"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke_token, name="revoke-token"),
]

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include((pages, "accounts"))),
]
