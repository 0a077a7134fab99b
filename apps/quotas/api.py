"""The team endpoint's quota report: limit, used and free per resource."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.api import TeamViewSet
from apps.quotas.services import team_usage


class UsageRowSerializer(serializers.Serializer):
    resource = serializers.CharField(help_text="e.g. 'replicas', 'cpu', 'NVIDIA-H100-80GB-HBM3'.")
    kind = serializers.ChoiceField(
        choices=["replicas", "cpu", "memory", "gpus", "gpu_model", "mig_profile"]
    )
    limit = serializers.CharField(allow_null=True, help_text="null: no limit.")
    used = serializers.CharField()
    free = serializers.CharField(allow_null=True, help_text="null: no limit.")


class QuotaReportSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    resources = UsageRowSerializer(many=True)


# accounts comes before quotas in the import order, so the quota action is added
# to the team endpoint here (as the admin adds the quota inline to the team page).
class TeamWithQuotaViewSet(TeamViewSet):
    @extend_schema(responses=QuotaReportSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def quota(self, request: Request, pk: str | None = None) -> Response:
        """What the team may hold, holds and has left, per resource.

        Usage counts the worst case: autoscaling maximums and canary replicas.
        """
        team = self.get_object()
        rows = [row.__dict__ for row in team_usage(team)]
        return Response(QuotaReportSerializer({"team": team.pk, "resources": rows}).data)
