"""GET /api/v1/deployments/{id}/metrics/: a deployment's dashboard series as JSON.

The same service as the page: one Prometheus query per panel, cached briefly.
A Prometheus problem is reported per panel (`error`), with status 200.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.monitoring import services
from apps.monitoring.prometheus import DEFAULT_RANGE, RANGES, RangeError


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
        responses={200: OpenApiTypes.OBJECT},
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
