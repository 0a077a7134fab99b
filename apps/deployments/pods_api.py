"""REST API for a deployment's live pods and their containers' logs.

`GET deployments/{id}/pods/` lists the pods, `GET deployments/{id}/pods/{pod}/logs/`
answers one container's log as plain text. The deployment is fetched through
`visible_to()` (another team's is a 404) and `podlogs` reads only pods that carry
its labels; every refusal answers in the API's error shape.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import error_body
from apps.deployments import podlogs
from apps.deployments.models import Deployment
from apps.deployments.pods import CONTAINER_NAME

TEXT = "text/plain; charset=utf-8"
DURATION = re.compile(r"(\d+)([smh]?)")
SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}
MAX_SINCE_S = 30 * 24 * 3600


class ErrorSerializer(serializers.Serializer):
    """The API's error shape (see apps.core.api)."""

    error = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class TerminationSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="e.g. Error, OOMKilled, Completed.")
    exit_code = serializers.IntegerField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class PodSerializer(serializers.Serializer):
    """One pod of the deployment, as its cluster reports it."""

    name = serializers.CharField()
    track = serializers.CharField(help_text="stable or canary.")
    version = serializers.CharField(help_text="The model version the pod runs.")
    template_hash = serializers.CharField(help_text="Which spec of that track it runs.")
    phase = serializers.CharField(help_text="Pending, Running, Succeeded, Failed or Unknown.")
    ready = serializers.BooleanField()
    restarts = serializers.IntegerField(help_text="Restarts of all its containers.")
    reason = serializers.CharField(
        help_text="Why it is not simply serving, e.g. CrashLoopBackOff, ImagePullBackOff, "
        "OOMKilled, Unschedulable, ContainersNotReady; empty when it serves."
    )
    message = serializers.CharField(help_text="The cluster's words for `reason`.")
    last_termination = TerminationSerializer(
        allow_null=True, help_text="How the model server's previous instance ended."
    )
    node = serializers.CharField()
    gpu_product = serializers.CharField(help_text="The node's nvidia.com/gpu.product label.")
    started_at = serializers.DateTimeField(allow_null=True)
    containers = serializers.ListField(child=serializers.CharField())


class PodListSerializer(serializers.Serializer):
    results = PodSerializer(many=True)


class LogQuerySerializer(serializers.Serializer):
    container = serializers.RegexField(
        rf"\A{CONTAINER_NAME.pattern}\Z",  # the validator searches: anchor it
        required=False,
        default="",
        error_messages={"invalid": "Give a container name such as 'server'."},
        help_text="Which container; the model server's by default.",
    )
    previous = serializers.BooleanField(
        required=False, default=False, help_text="The log of the instance that last terminated."
    )
    tail = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The last N lines; at most GANTRY_LOG_MAX_LINES (1000 by default).",
    )
    since = serializers.CharField(
        required=False, help_text="Only lines newer than this: seconds, or 30s, 10m, 2h."
    )

    def validate_tail(self, value: int) -> int:
        if value > settings.GANTRY_LOG_MAX_LINES:
            raise serializers.ValidationError(
                f"Ask for at most {settings.GANTRY_LOG_MAX_LINES} lines, e.g. tail=100."
            )
        return value

    def validate_since(self, value: str) -> int:
        match = DURATION.fullmatch(value.strip())
        seconds = int(match.group(1)) * SECONDS[match.group(2)] if match else 0
        if not 0 < seconds <= MAX_SINCE_S:
            raise serializers.ValidationError(
                "Give a duration up to 30 days: a number of seconds, or e.g. 30s, 10m, 2h."
            )
        return seconds


def _error(status_code: int, code: str, detail: str, fields=None) -> HttpResponse:
    return HttpResponse(
        json.dumps(error_body(code, detail, fields)),
        status=status_code,
        content_type="application/json",
    )


def _refusal(exc: podlogs.PodsError) -> HttpResponse:
    if isinstance(exc, podlogs.PodNotFound):
        return _error(404, "not_found", str(exc))
    if isinstance(exc, podlogs.UnknownContainer):
        return _error(400, "invalid", str(exc), {"container": [str(exc)]})
    if isinstance(exc, podlogs.LogUnavailable):
        return _error(409, "log_unavailable", str(exc))
    if isinstance(exc, podlogs.ClusterDown):
        return _error(503, "cluster_unreachable", str(exc))
    return _error(502, "cluster_error", str(exc))


DEPLOYMENT_ID = OpenApiParameter("deployment_pk", OpenApiTypes.INT, OpenApiParameter.PATH)
POD = OpenApiParameter("pod", OpenApiTypes.STR, OpenApiParameter.PATH, description="Pod name.")
CLUSTER_ERRORS = {
    503: OpenApiResponse(
        ErrorSerializer, description="The deployment's cluster cannot be reached."
    ),
    502: OpenApiResponse(ErrorSerializer, description="The cluster refused; `detail` says why."),
}


class PodViewSet(viewsets.ViewSet):
    """The live pods of one of your teams' deployments, and their logs. Any role reads."""

    lookup_field = "pod"
    # Any segment reaches the view, so a malformed name is a 404 in the error shape.
    lookup_value_regex = r"[^/]+"

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A log is text/plain whatever the client accepts, and errors are JSON: a
        # client that accepts only text/plain gets either, never a 406.
        return super().perform_content_negotiation(request, force=True)

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.deployment = get_object_or_404(
            Deployment.objects.visible_to(request.user).select_related(
                "environment__cluster", "team"
            ),
            pk=self.kwargs["deployment_pk"],
        )

    @extend_schema(
        parameters=[DEPLOYMENT_ID],
        responses={200: PodListSerializer, **CLUSTER_ERRORS},
        description="Read live from the cluster (cached for a few seconds): each pod's "
        "track, version, phase, readiness, restarts, current reason, last termination, "
        "node and GPU product.",
    )
    def list(self, request: Request, deployment_pk: str | None = None) -> Any:
        try:
            rows = podlogs.list_pods(self.deployment)
        except podlogs.PodsError as exc:
            return _refusal(exc)
        return Response({"results": rows})

    @extend_schema(
        parameters=[DEPLOYMENT_ID, POD, LogQuerySerializer],
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR, description="The log, as the container wrote it."
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="The container has not started, or (with previous) has not "
                "restarted: `detail` says its state.",
            ),
            **CLUSTER_ERRORS,
        },
        description="One container's log as plain text, never interpreted: the last "
        "`tail` lines (at most GANTRY_LOG_MAX_LINES) and at most GANTRY_LOG_MAX_BYTES. "
        "Only pods of this deployment; any other name is a 404.",
    )
    @action(detail=True, methods=["get"])
    def logs(self, request: Request, deployment_pk: str | None = None, pod: str = "") -> Any:
        query = LogQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise exceptions.ValidationError(query.errors)
        params = query.validated_data
        try:
            text = podlogs.read_log(
                self.deployment,
                pod,
                podlogs.LogRequest(
                    container=params["container"],
                    previous=params["previous"],
                    tail_lines=params.get("tail"),
                    since_seconds=params.get("since"),
                ),
            )
        except podlogs.PodsError as exc:
            return _refusal(exc)
        # Not through a renderer: the text goes out as the container wrote it.
        response = HttpResponse(text, content_type=TEXT, status=status.HTTP_200_OK)
        response["X-Content-Type-Options"] = "nosniff"
        return response
