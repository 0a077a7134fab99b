"""GET /api/v1/deployments/{id}/metrics/: a deployment's dashboard series as JSON.

The same service as the page: one Prometheus query per panel, cached briefly.
A Prometheus problem is reported per panel (`error`), with status 200.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.monitoring import services
from apps.monitoring.prometheus import DEFAULT_RANGE, RANGES, RangeError


class SeriesSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Legend name, e.g. 'p95' or 'mean of pods (canary)'.")
    labels = serializers.DictField(
        child=serializers.CharField(), help_text="namespace, deployment, and stat or quantile."
    )
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="[unix seconds, value] pairs; a null value is a gap.",
    )


class PanelSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="gpu_util, gpu_memory, replicas, latency, ...")
    title = serializers.CharField()
    unit = serializers.CharField(help_text="%, GiB, replicas, s, req/s")
    error = serializers.CharField(
        allow_null=True, help_text="Why Prometheus could not answer, e.g. it timed out."
    )
    note = serializers.CharField(allow_null=True, help_text="Why there is no data, if none.")
    series = SeriesSerializer(many=True)


class MetricsSerializer(serializers.Serializer):
    deployment = serializers.IntegerField()
    range = serializers.CharField()
    start = serializers.IntegerField(help_text="Unix seconds.")
    end = serializers.IntegerField(help_text="Unix seconds, a multiple of the step.")
    step = serializers.IntegerField(help_text="Seconds between points.")
    panels = PanelSerializer(many=True)


class DeploymentMetricsView(APIView):
    @extend_schema(
        operation_id="deployments_metrics",
        summary="A deployment's GPU, replica and latency series",
        parameters=[
            OpenApiParameter(
                "range",
                OpenApiTypes.STR,
                enum=list(RANGES),
                default=DEFAULT_RANGE,
                description="How far back from now; the step keeps each series "
                "at most about 300 points.",
            )
        ],
        responses={200: MetricsSerializer},
        tags=["deployments"],
    )
    def get(self, request: Request, pk: int) -> Response:
        deployment = get_object_or_404(services.visible_deployments(request.user), pk=pk)
        try:
            dashboard = services.deployment_dashboard(
                deployment, request.query_params.get("range", DEFAULT_RANGE), figures=False
            )
        except RangeError as exc:
            raise ValidationError({"range": [str(exc)]}) from None
        return Response(services.metrics_payload(deployment, dashboard))
