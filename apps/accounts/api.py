"""REST API for teams, their members and the caller's own API tokens."""

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import services
from apps.accounts.access import teams_for
from apps.accounts.choices import Role
from apps.accounts.models import ApiToken, Membership, Team
from apps.core.api import NumberField


class ScopedViewMixin:
    """`get_queryset()` is the view's `queryset` narrowed to the user's teams by its
    model's `visible_to()`: the API's one scoping point."""

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return queryset.none()
        return queryset.visible_to(self.request.user)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Filters and ordering shape lists; one object is found by its id alone (and
        # the scope above), so a detail request skips building the filter form.
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)


class TeamSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(
        choices=Role.choices, read_only=True, allow_null=True, help_text="Your role in the team."
    )

    class Meta:
        model = Team
        fields = ["id", "name", "display_name", "description", "role", "created_at"]
        read_only_fields = fields


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """The teams you belong to, with your role in each."""

    serializer_class = TeamSerializer
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    queryset = Team.objects.none()

    def get_queryset(self) -> QuerySet[Team]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        role = Membership.objects.filter(team=OuterRef("pk"), user=self.request.user)
        return teams_for(self.request.user).annotate(role=Subquery(role.values("role")[:1]))


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    is_superuser = serializers.BooleanField()
    teams = TeamSerializer(many=True)


class MeView(APIView):
    """Who the token (or session) belongs to, and their teams with their role in each."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        role = Membership.objects.filter(team=OuterRef("pk"), user=request.user)
        teams = teams_for(request.user).annotate(role=Subquery(role.values("role")[:1]))
        body = {
            "username": request.user.get_username(),
            "is_superuser": request.user.is_superuser,
            "teams": teams.order_by("name"),
        }
        return Response(MeSerializer(body).data)


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", max_length=150)

    class Meta:
        model = Membership
        fields = ["id", "username", "role", "created_at"]
        read_only_fields = ["id", "created_at"]


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


@extend_schema_view(
    partial_update=extend_schema(request=RoleSerializer),
    update=extend_schema(request=RoleSerializer),
)
class TeamMemberViewSet(ScopedViewMixin, viewsets.ModelViewSet):
    """Members of a team: everyone in it reads them; its admins add, change and remove."""

    # Keyset pages need the sort value on the row itself, not across a relation.
    queryset = Membership.objects.select_related("user").annotate(username=F("user__username"))
    serializer_class = MemberSerializer
    ordering_fields = ["username", "role", "created_at"]
    ordering = ["username"]

    def get_queryset(self) -> QuerySet[Membership]:
        return super().get_queryset().filter(team_id=self.kwargs.get("team_pk"))

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        # Another team's member list is absent (404) before any body is looked at.
        self.team = get_object_or_404(teams_for(request.user), pk=self.kwargs["team_pk"])

    def perform_create(self, serializer: MemberSerializer) -> None:
        serializer.instance = services.add_member(
            actor=self.request.user,
            team=self.team,
            username=serializer.validated_data["user"]["username"],
            role=serializer.validated_data["role"],
        )

    def update(self, request: Request, *args, **kwargs) -> Response:
        body = RoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = services.change_role(
            actor=request.user, membership=self.get_object(), role=body.validated_data["role"]
        )
        return Response(MemberSerializer(membership).data)

    def perform_destroy(self, instance: Membership) -> None:
        services.remove_member(actor=self.request.user, membership=instance)


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
        read_only_fields = fields


class NewTokenSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_in_days = NumberField(required=False, min_value=1, help_text="Default 90.")


class IssuedTokenSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret; shown only this once.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class TokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your own API tokens. The secret is in the create answer only; delete revokes."""

    queryset = ApiToken.objects.all()
    serializer_class = TokenSerializer
    ordering_fields = ["name", "created_at"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.queryset.visible_to(self.request.user)

    @extend_schema(request=NewTokenSerializer, responses={201: IssuedTokenSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        if isinstance(request.auth, ApiToken):
            # A leaked token must not be able to mint tokens that outlive its revocation.
            raise PermissionDenied(
                "A token cannot create tokens; sign in with the browser, or use "
                "`manage.py create_token`."
            )
        body = NewTokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issued = services.create_token(actor=request.user, user=request.user, **body.validated_data)
        issued.token.token = issued.plain
        return Response(IssuedTokenSerializer(issued.token).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: OpenApiResponse(description="Revoked.")})
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.revoke_token(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
