"""REST API for models and their versions; every write goes through registry.services."""

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.access import teams_for
from apps.accounts.api import ScopedViewMixin
from apps.accounts.models import Team
from apps.core.api import ModelSerializer as BaseModelSerializer
from apps.core.api import ScopedPrimaryKeyRelatedField
from apps.registry import services
from apps.registry.filters import ModelFilter
from apps.registry.models import Model, ModelVersion


class ModelSerializer(BaseModelSerializer):
    team = ScopedPrimaryKeyRelatedField(
        lambda user: teams_for(user), name="team", queryset=Team.objects.all()
    )

    class Meta:
        model = Model
        # What the service accepts, so a new field cannot be writable in one place only.
        fields = ["id", "team", *services.MODEL_FIELDS, "archived_at", "created_at"]
        read_only_fields = ["id", "archived_at", "created_at"]
        validators: list = []  # uniqueness is the service's to check, with its own message


class ModelUpdateSerializer(ModelSerializer):
    """A model stays in its team."""

    team = serializers.PrimaryKeyRelatedField(read_only=True)


class ModelViewSet(
    ScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Your teams' models. Deployers register, change and archive them; an archived
    model is left out of the list but still found by its id."""

    queryset = Model.objects.all()
    filterset_class = ModelFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet[Model]:
        queryset = super().get_queryset()
        return queryset.filter(archived_at__isnull=True) if self.action == "list" else queryset

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action in ("update", "partial_update"):
            return ModelUpdateSerializer
        return ModelSerializer

    def perform_create(self, serializer: ModelSerializer) -> None:
        serializer.instance = services.create_model(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: ModelSerializer) -> None:
        serializer.instance = services.update_model(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(
        request=None,
        responses=ModelSerializer,
        description="Hide the model from lists; it and its versions stay for the audit "
        "trail. Refused while a deployment runs one of its versions.",
    )
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: str | None = None) -> Response:
        model = services.archive_model(self.get_object(), actor=request.user)
        return Response(ModelSerializer(model, context=self.get_serializer_context()).data)


class ModelVersionSerializer(BaseModelSerializer):
    in_use = serializers.SerializerMethodField(
        help_text="True when a deployment runs it; then only the description may change."
    )

    class Meta:
        model = ModelVersion
        fields = ["id", "model", *services.VERSION_FIELDS, "in_use", "created_at"]
        read_only_fields = ["id", "model", "in_use", "created_at"]
        validators: list = []

    def get_in_use(self, version: ModelVersion) -> bool:
        annotated = getattr(version, "in_use", None)  # lists annotate it in one query
        return version.is_in_use() if annotated is None else annotated


MODEL_ID = OpenApiParameter("model_pk", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(parameters=[MODEL_ID]),
    create=extend_schema(parameters=[MODEL_ID]),
    retrieve=extend_schema(parameters=[MODEL_ID]),
    update=extend_schema(parameters=[MODEL_ID]),
    partial_update=extend_schema(parameters=[MODEL_ID]),
    destroy=extend_schema(
        parameters=[MODEL_ID],
        description="Delete a version no deployment runs; the audit trail keeps what it was.",
    ),
)
class ModelVersionViewSet(
    ScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Versions of one model. A version a deployment uses is immutable but for its
    description, and cannot be deleted."""

    queryset = ModelVersion.objects.all()
    serializer_class = ModelVersionSerializer
    ordering_fields = ["created_at", "version"]
    ordering = ["-created_at", "-id"]

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        # Another team's model is absent (404) before any body is looked at.
        self.model = get_object_or_404(
            Model.objects.visible_to(request.user), pk=self.kwargs["model_pk"]
        )

    def get_queryset(self) -> QuerySet[ModelVersion]:
        used = ModelVersion.objects.filter(pk=OuterRef("pk"))
        return (
            super()
            .get_queryset()
            .filter(model_id=self.kwargs.get("model_pk"))
            .annotate(
                in_use=Exists(used.filter(deployments__isnull=False))
                | Exists(used.filter(canary_deployments__isnull=False))
            )
        )

    def perform_create(self, serializer: ModelVersionSerializer) -> None:
        serializer.instance = services.create_model_version(
            actor=self.request.user, model=self.model, **serializer.validated_data
        )

    def perform_update(self, serializer: ModelVersionSerializer) -> None:
        serializer.instance = services.update_model_version(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance: ModelVersion) -> None:
        services.delete_model_version(instance, actor=self.request.user)
