"""REST API for environments (read only; platform admins manage them in the admin)."""

from rest_framework import serializers, viewsets

from apps.accounts.api import ScopedViewMixin
from apps.clusters.models import Environment


class EnvironmentSerializer(serializers.ModelSerializer):
    # The cluster by name only: how to reach it (kubeconfig) is never exposed.
    cluster = serializers.CharField(source="cluster.name", read_only=True)
    egress_cidrs = serializers.ListField(
        source="egress_cidr_list", child=serializers.CharField(), read_only=True
    )
    egress_namespaces = serializers.ListField(
        source="egress_namespace_list", child=serializers.CharField(), read_only=True
    )

    class Meta:
        model = Environment
        fields = [
            "id",
            "name",
            "cluster",
            "namespace",
            "tier",
            # Where model pods may connect (the namespace's NetworkPolicy).
            "restrict_egress",
            "egress_cidrs",
            "egress_namespaces",
            "exposure",
            "host_template",
            "domain",
            "ingress_class",
            "tls_secret",
            "tls_issuer",
            "gateway",
        ]
        read_only_fields = fields


class EnvironmentViewSet(ScopedViewMixin, viewsets.ReadOnlyModelViewSet):
    """The environments your teams may deploy into."""

    queryset = Environment.objects.select_related("cluster")
    serializer_class = EnvironmentSerializer
    filterset_fields = ["tier", "teams"]
    ordering_fields = ["name", "tier"]
    ordering = ["name", "id"]
