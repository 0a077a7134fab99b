"""REST API for deployments, their revisions and the audit trail.

Viewsets fetch through `visible_to()` (another team's deployment is a 404)
and hand every change to `apps.deployments.services`; serializers only parse
and render.
"""

from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.access import teams_for
from apps.accounts.api import ScopedViewMixin
from apps.accounts.models import Team
from apps.clusters.exposure import Exposure
from apps.clusters.models import Environment, team_namespace
from apps.core.api import ModelSerializer, NumberField, ScopedPrimaryKeyRelatedField
from apps.deployments import exposure, services
from apps.deployments.filters import DeploymentFilter, EventFilter
from apps.deployments.models import SPEC_FIELDS, Deployment, Event, Revision
from apps.registry.models import ModelVersion


def _versions(user) -> QuerySet[ModelVersion]:
    return ModelVersion.objects.visible_to(user)


def _environments(user) -> QuerySet[Environment]:
    return Environment.objects.visible_to(user)


def _version_field(name: str, **kwargs) -> ScopedPrimaryKeyRelatedField:
    return ScopedPrimaryKeyRelatedField(
        _versions, name=name, queryset=ModelVersion.objects.all(), **kwargs
    )


class ConditionSerializer(serializers.Serializer):
    # Not required: the reconciler writes these, and a missing key must not break a read.
    type = serializers.CharField(
        required=False, help_text="Synced, Available, Progressing or Degraded."
    )
    status = serializers.CharField(required=False, help_text="'True', 'False' or 'Unknown'.")
    reason = serializers.CharField(required=False, allow_blank=True)
    message = serializers.CharField(required=False, allow_blank=True)
    last_transition_time = serializers.CharField(required=False)


@extend_schema_field(ConditionSerializer(many=True))
class ConditionsField(serializers.JSONField):
    """The reconciler's conditions as stored: a list of objects shaped like Condition.

    Rendered as they are rather than through ConditionSerializer, which would
    cost a serializer per condition on every row of a list.
    """


class StatusSerializer(serializers.Serializer):
    """What the reconciler observed in the cluster."""

    generation = serializers.IntegerField(help_text="Bumped by every spec change.")
    observed_generation = serializers.IntegerField(help_text="The last generation applied.")
    conditions = ConditionsField()
    ready_replicas = serializers.IntegerField()
    updated_replicas = serializers.IntegerField()
    available_replicas = serializers.IntegerField()
    last_error = serializers.CharField(allow_blank=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)


class UrlsSerializer(serializers.Serializer):
    """Where the deployment answers. Neither address is probed."""

    in_cluster = serializers.CharField(
        help_text="Its Service's DNS name, e.g. http://chat.prod-nlp.svc.cluster.local:80."
    )
    external = serializers.CharField(
        allow_null=True,
        help_text="Through the environment's Ingress or HTTPRoute, e.g. "
        "https://chat.prod-nlp.models.example.com; null when the environment does not "
        "expose deployments outside the cluster.",
    )


@extend_schema_field(UrlsSerializer)
class UrlsField(serializers.Field):
    """The addresses, from the environment's columns DeploymentViewSet annotates."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, deployment: Deployment) -> dict[str, str | None]:
        return urls_of(deployment)


def urls_of(d: Deployment) -> dict[str, str | None]:
    rules = Exposure(
        mode=d.exposure_mode,
        host_template=d.host_template,
        domain=d.exposure_domain,
        tls_secret=d.tls_secret,
        tls_issuer=d.tls_issuer,
    )
    return exposure.urls(
        name=d.name,
        namespace=team_namespace(d.environment_prefix, d.team_name),
        team=d.team_name,
        environment=d.environment_name,
        rules=rules,
    )


# The plain spec fields; versions, the canary and state are rendered on their own.
SPEC_READ_FIELDS = [
    name
    for name in SPEC_FIELDS
    if name not in ("model_version", "canary_version", "canary_weight", "state")
]


class DeploymentSerializer(ModelSerializer):
    """A deployment: what should run (spec, state) and what does run (status)."""

    team = ScopedPrimaryKeyRelatedField(
        lambda user: teams_for(user), name="team", queryset=Team.objects.all()
    )
    environment = ScopedPrimaryKeyRelatedField(
        _environments, name="environment", queryset=Environment.objects.all()
    )
    model_version = _version_field("model version")
    canary_version = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    # Annotated by DeploymentViewSet's queryset.
    team_name = serializers.CharField(read_only=True)
    environment_name = serializers.CharField(read_only=True)
    model = serializers.CharField(source="model_name", read_only=True)
    version = serializers.CharField(source="version_label", read_only=True)
    status = StatusSerializer(source="*", read_only=True)
    urls = UrlsField()

    def to_representation(self, deployment: Deployment) -> dict[str, Any]:
        """The declared fields' output, written out.

        DRF builds and deep-copies some forty field objects per serializer and walks
        them for every row, which was most of the time of a deployment page. The
        declared fields still parse input and define the OpenAPI schema, and a test
        holds this output equal to DRF's own rendering of them.
        """
        d = deployment
        return {
            "id": d.pk,
            "name": d.name,
            "team": d.team_id,
            "team_name": d.team_name,
            "environment": d.environment_id,
            "environment_name": d.environment_name,
            "model_version": d.model_version_id,
            "model": d.model_name,
            "version": d.version_label,
            **{name: getattr(d, name) for name in SPEC_READ_FIELDS},
            "canary_version": d.canary_version_id,
            "canary_weight": d.canary_weight,
            "state": d.state,
            "urls": urls_of(d),
            "status": {
                "generation": d.generation,
                "observed_generation": d.observed_generation,
                "conditions": d.conditions,
                "ready_replicas": d.ready_replicas,
                "updated_replicas": d.updated_replicas,
                "available_replicas": d.available_replicas,
                "last_error": d.last_error,
                "last_synced_at": _timestamp(d.last_synced_at),
            },
            "created_at": _timestamp(d.created_at),
            "updated_at": _timestamp(d.updated_at),
        }

    class Meta:
        model = Deployment
        fields = [
            "id",
            "name",
            "team",
            "team_name",
            "environment",
            "environment_name",
            "model_version",
            "model",
            "version",
            *SPEC_READ_FIELDS,
            "canary_version",
            "canary_weight",
            "state",
            "urls",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "canary_weight", "state", "created_at", "updated_at"]
        validators: list = []  # the service validates, with its own messages


class DeploymentUpdateSerializer(DeploymentSerializer):
    """Spec changes; team, environment and name are fixed once created."""

    team = serializers.PrimaryKeyRelatedField(read_only=True)
    environment = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(DeploymentSerializer.Meta):
        read_only_fields = [*DeploymentSerializer.Meta.read_only_fields, "name"]


class ScaleSerializer(serializers.Serializer):
    replicas = NumberField(required=False, min_value=0, help_text="A fixed count, e.g. 3.")
    min_replicas = NumberField(required=False, min_value=1, help_text="Autoscaling floor.")
    max_replicas = NumberField(required=False, min_value=1, help_text="Autoscaling ceiling.")
    autoscaling_target = NumberField(required=False, min_value=1)


class RollbackSerializer(serializers.Serializer):
    revision = NumberField(min_value=1, help_text="The revision number to return to.")


class CanarySerializer(serializers.Serializer):
    version = _version_field("model version")
    weight = NumberField(min_value=0, max_value=100, help_text="Percent of traffic, 0 to 100.")


class RevisionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)

    class Meta:
        model = Revision
        fields = ["number", "spec", "reason", "created_by", "created_at"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = [
            "id",
            "team",
            "deployment",
            "actor_name",
            "source",
            "verb",
            "target",
            "message",
            "created_at",
        ]
        read_only_fields = fields


def _timestamp(value: datetime | None) -> str | None:
    """As DRF's DateTimeField renders it: ISO 8601 in the current time zone, UTC as Z."""
    if value is None:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def name_annotations() -> dict[str, F]:
    """The related names a deployment's representation shows, as joined columns."""
    return {
        "team_name": F("team__name"),
        "environment_name": F("environment__name"),
        "model_name": F("model_version__model__name"),
        "version_label": F("model_version__version"),
        # What the addresses are made of (urls_of).
        "environment_prefix": F("environment__namespace"),
        "exposure_mode": F("environment__exposure"),
        "host_template": F("environment__host_template"),
        "exposure_domain": F("environment__domain"),
        "tls_secret": F("environment__tls_secret"),
        "tls_issuer": F("environment__tls_issuer"),
    }


def _action(request_serializer=None, *, description: str):
    """Schema for a deployment action: it answers with the deployment."""
    return extend_schema(
        request=request_serializer, responses=DeploymentSerializer, description=description
    )


@extend_schema_view(
    destroy=extend_schema(
        responses={202: DeploymentSerializer},
        description="Mark for deletion; the reconciler removes it from the cluster, then the "
        "record. Answers 202 with the deployment in state `deleting`.",
    ),
    update=extend_schema(request=DeploymentUpdateSerializer),
    partial_update=extend_schema(request=DeploymentUpdateSerializer),
)
class DeploymentViewSet(ScopedViewMixin, viewsets.ModelViewSet):
    """Your teams' deployments. Viewers read; deployers create, change and act on them."""

    queryset = Deployment.objects.all()
    filterset_class = DeploymentFilter
    ordering_fields = ["name", "created_at", "updated_at", "state"]
    # Newest first: the created_at index serves the first page without sorting them all.
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Deployment]:
        # The related names come as joined columns, not as team, environment, version
        # and model instances for every row (select_related cost twice the Python) nor
        # as scalar subqueries (half again the ORM work; they only paid off while
        # pages were counted). Built per request: compiling shares expression
        # objects, so a class-level annotated queryset is unsafe under threads.
        return super().get_queryset().annotate(**name_annotations())

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action in ("update", "partial_update"):
            return DeploymentUpdateSerializer
        return DeploymentSerializer

    def perform_create(self, serializer: DeploymentSerializer) -> None:
        created = services.create_deployment(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self._reload(created)

    def perform_update(self, serializer: DeploymentSerializer) -> None:
        updated = services.update_deployment(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )
        serializer.instance = self._reload(updated)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        deployment = services.request_delete(self.get_object(), actor=request.user)
        return self._answer(deployment, status.HTTP_202_ACCEPTED)

    @_action(ScaleSerializer, description="A fixed replica count, or autoscaling bounds.")
    @action(detail=True, methods=["post"])
    def scale(self, request: Request, pk: str | None = None) -> Response:
        deployment = self.get_object()  # a foreign id is a 404 before the body is read
        body = self._body(ScaleSerializer)
        return self._answer(services.scale(deployment, actor=request.user, **body))

    @_action(description="Scale to zero and hold no quota; the spec is kept.")
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.stop(self.get_object(), actor=request.user))

    @_action(description="Run the kept spec again (quota is checked).")
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.start(self.get_object(), actor=request.user))

    @_action(RollbackSerializer, description="Return the spec to an earlier revision.")
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, pk: str | None = None) -> Response:
        deployment = self.get_object()
        body = self._body(RollbackSerializer)
        return self._answer(services.rollback(deployment, body["revision"], actor=request.user))

    @_action(CanarySerializer, description="Send a weight (0-100%) of traffic to a version.")
    @action(detail=True, methods=["post"])
    def canary(self, request: Request, pk: str | None = None) -> Response:
        deployment = self.get_object()
        body = self._body(CanarySerializer)
        return self._answer(services.set_canary(deployment, actor=request.user, **body))

    @_action(description="Make the canary version the stable one.")
    @action(detail=True, methods=["post"])
    def promote(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.promote(self.get_object(), actor=request.user))

    @_action(description="End the canary; all traffic returns to the stable version.")
    @action(detail=True, methods=["post"])
    def abort(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.abort(self.get_object(), actor=request.user))

    def _body(self, serializer_class: type[serializers.Serializer]) -> dict:
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    def _reload(self, deployment: Deployment) -> Deployment:
        """A deployment a service returned, read again with the names the answer shows."""
        return self.get_queryset().get(pk=deployment.pk)

    def _answer(self, deployment: Deployment, code: int = status.HTTP_200_OK) -> Response:
        deployment = self._reload(deployment)
        return Response(
            DeploymentSerializer(deployment, context={"request": self.request}).data, status=code
        )


DEPLOYMENT_ID = OpenApiParameter("deployment_pk", OpenApiTypes.INT, OpenApiParameter.PATH)


class _UnderDeployment:
    """Nested under deployments/{deployment_pk}/: another team's deployment is a 404.

    The parent is fetched through the same scope as DeploymentViewSet, and the
    children are then filtered by that parent only.
    """

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.deployment = get_object_or_404(
            Deployment.objects.visible_to(request.user), pk=self.kwargs["deployment_pk"]
        )


@extend_schema_view(
    list=extend_schema(parameters=[DEPLOYMENT_ID]),
    retrieve=extend_schema(parameters=[DEPLOYMENT_ID]),
)
class RevisionViewSet(_UnderDeployment, viewsets.ReadOnlyModelViewSet):
    """A deployment's spec after each change, newest first; roll back by number."""

    queryset = Revision.objects.select_related("created_by")
    serializer_class = RevisionSerializer
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    ordering = ["-number"]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Revision]:
        return self.queryset.filter(deployment_id=getattr(self, "deployment", None))


@extend_schema_view(list=extend_schema(parameters=[DEPLOYMENT_ID]))
class DeploymentEventViewSet(_UnderDeployment, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A deployment's audit trail and cluster events, newest first."""

    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Event]:
        return self.queryset.filter(deployment_id=getattr(self, "deployment", None))


class EventViewSet(ScopedViewMixin, viewsets.ReadOnlyModelViewSet):
    """The audit trail of your teams: who did what, and what the clusters said."""

    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_class = EventFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
