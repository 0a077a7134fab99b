"""Where deployments run: clusters and the environments carved out of them."""

from django.core.exceptions import ValidationError
from django.db import models

from apps.accounts.models import TEAM_NAME_MAX, Team, TeamScopedQuerySet
from apps.clusters.choices import Connection, Tier
from apps.core.lib.promql import validate_overrides
from apps.core.models import TimeStampedModel
from apps.core.validators import DNS_LABEL_MAX, validate_dns_label, validate_http_url

ENVIRONMENT_NAMESPACE_MAX = DNS_LABEL_MAX - TEAM_NAME_MAX - 1


class Cluster(TimeStampedModel):
    """A Kubernetes cluster and how to reach it.

    Only a reference to credentials is stored: a kubeconfig path on the
    control plane's host (mounted from a Secret in production) and a context,
    or the in-cluster service account. The credentials themselves never enter
    the database, a page or an API response.
    """

    name = models.CharField(max_length=63, unique=True, validators=[validate_dns_label])
    description = models.TextField(blank=True)
    connection = models.CharField(
        max_length=16, choices=Connection.choices, default=Connection.KUBECONFIG
    )
    kubeconfig_path = models.CharField(
        max_length=500,
        blank=True,
        help_text="Path of a kubeconfig file readable by Gantry's workers, "
        "e.g. /etc/gantry/clusters/gpu-east.yaml.",
    )
    kubeconfig_context = models.CharField(
        max_length=253, blank=True, help_text="Context in that file; empty for its current one."
    )
    # Asked by Gantry's own servers on every dashboard view: http(s) only, and set by
    # superusers only (see ClusterAdmin), since it points those servers at any host.
    prometheus_url = models.URLField(
        blank=True,
        validators=[validate_http_url],
        help_text="Prometheus for this cluster, an http:// or https:// URL; "
        "empty for the global PROMETHEUS_URL.",
    )
    promql = models.JSONField(
        "PromQL overrides",
        default=dict,
        blank=True,
        validators=[validate_overrides],
        help_text="Dashboard templates that differ on this cluster's Prometheus, as "
        '{"template name": "PromQL"}; see GANTRY_PROMQL in the README.',
    )
    is_active = models.BooleanField(default=True, help_text="Inactive clusters are not reconciled.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(connection__in=Connection.values),
                name="cluster_connection_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(connection=Connection.KUBECONFIG, kubeconfig_path=""),
                name="cluster_kubeconfig_has_path",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.connection == Connection.KUBECONFIG and not self.kubeconfig_path:
            raise ValidationError(
                {
                    "kubeconfig_path": "A kubeconfig connection needs the file's path, "
                    "e.g. /etc/gantry/clusters/gpu-east.yaml."
                }
            )
        if self.connection == Connection.IN_CLUSTER and (
            self.kubeconfig_path or self.kubeconfig_context
        ):
            raise ValidationError(
                {"kubeconfig_path": "In-cluster connections use no kubeconfig; leave it empty."}
            )


class EnvironmentQuerySet(TeamScopedQuerySet):
    team_path = "teams"


class Environment(TimeStampedModel):
    """A tier of a cluster (development, staging, production) that teams deploy into.

    Each team gets its own namespace in it, `<namespace>-<team>`, so that a
    team's ResourceQuota and objects never mix with another team's.
    """

    name = models.CharField(max_length=63, validators=[validate_dns_label])
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="environments")
    namespace = models.CharField(
        max_length=ENVIRONMENT_NAMESPACE_MAX,
        validators=[validate_dns_label],
        help_text="Namespace prefix; a team's objects go in '<namespace>-<team>'.",
    )
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.DEVELOPMENT)
    teams = models.ManyToManyField(
        Team, blank=True, related_name="environments", help_text="Teams that may deploy here."
    )

    objects = EnvironmentQuerySet.as_manager()

    class Meta:
        ordering = ["cluster__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "name"], name="environment_unique_cluster_name"
            ),
            models.UniqueConstraint(
                fields=["cluster", "namespace"], name="environment_unique_cluster_namespace"
            ),
            models.CheckConstraint(
                condition=models.Q(tier__in=Tier.values), name="environment_tier_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cluster.name})"

    def namespace_for(self, team_name: str) -> str:
        """The Kubernetes namespace that holds `team_name`'s objects here."""
        return f"{self.namespace}-{team_name}"
