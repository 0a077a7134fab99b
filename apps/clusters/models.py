"""Where deployments run: clusters and the environments carved out of them."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models

from apps.accounts.models import TEAM_NAME_MAX, Team, TeamScopedQuerySet
from apps.clusters.choices import Connection, ExposureMode, Tier
from apps.clusters.exposure import DEFAULT_HOST_TEMPLATE, Exposure, problems
from apps.core.lib.paths import is_within
from apps.core.lib.promql import validate_overrides
from apps.core.models import TimeStampedModel
from apps.core.validators import (
    DNS_LABEL_MAX,
    namespace_list,
    validate_cidr_list,
    validate_dns_label,
    validate_http_url,
    validate_namespace_list,
    validate_object_name,
)

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
        help_text="Path of a kubeconfig file readable by Gantry's workers, inside one of "
        "GANTRY_KUBECONFIG_DIRS, e.g. /var/run/secrets/gantry/kubeconfigs/gpu-east.yaml.",
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
        allowed = settings.GANTRY_KUBECONFIG_DIRS
        example = f"{allowed[0].rstrip('/')}/gpu-east.yaml" if allowed else "gpu-east.yaml"
        if self.connection == Connection.KUBECONFIG and not self.kubeconfig_path:
            raise ValidationError(
                {
                    "kubeconfig_path": "A kubeconfig connection needs the file's path, "
                    f"e.g. {example}."
                }
            )
        if self.connection == Connection.KUBECONFIG and not is_within(
            self.kubeconfig_path, allowed
        ):
            raise ValidationError(
                {
                    "kubeconfig_path": "Gantry reads kubeconfigs only from "
                    f"{', '.join(allowed) or 'no directory'} (GANTRY_KUBECONFIG_DIRS); put the "
                    f"file there and give its absolute path, e.g. {example}."
                }
            )
        if self.connection == Connection.IN_CLUSTER and (
            self.kubeconfig_path or self.kubeconfig_context
        ):
            raise ValidationError(
                {"kubeconfig_path": "In-cluster connections use no kubeconfig; leave it empty."}
            )


def team_namespace(prefix: str, team_name: str) -> str:
    """The namespace of a team in the environment with namespace prefix `prefix`."""
    return f"{prefix}-{team_name}"


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
        help_text="Namespace prefix: each team's objects go in the prefix, a dash and the team's "
        "name, e.g. 'prod' puts team nlp's in 'prod-nlp'.",
    )
    tier = models.CharField(
        max_length=16,
        choices=Tier.choices,
        default=Tier.DEVELOPMENT,
        help_text="Also its model pods' scheduling priority (PriorityClass gantry-production, "
        "-staging or -development): production may preempt the lower tiers for GPUs; staging "
        "and development never preempt.",
    )
    teams = models.ManyToManyField(
        Team,
        through="EnvironmentTeam",
        blank=True,
        related_name="environments",
        help_text="Teams that may deploy here.",
    )
    require_spread = models.BooleanField(
        default=False,
        help_text="Replicas of a deployment must run on different nodes (a pod waits "
        "rather than share a node); otherwise spreading is preferred, not required.",
    )
    ingress_namespaces = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_namespace_list],
        help_text="Namespaces whose pods may reach model servers besides the team's own, "
        "comma-separated, e.g. 'ingress-nginx, monitoring'. Each team namespace gets a "
        "NetworkPolicy that lets in nothing else.",
    )
    storage_secret = models.CharField(
        max_length=253,
        blank=True,
        validators=[validate_object_name],
        help_text="Secret in each team namespace with object-storage credentials, passed "
        "to the artifact downloader as environment variables; Gantry never reads it.",
    )
    storage_service_account = models.CharField(
        max_length=253,
        blank=True,
        validators=[validate_object_name],
        help_text="ServiceAccount in each team namespace that model pods run as, for "
        "workload identity to object storage; empty uses Gantry's own (no rights).",
    )
    # --- egress: open unless restricted; then only these destinations and DNS ---
    restrict_egress = models.BooleanField(
        default=False,
        help_text="Model pods may connect only to their own namespace, DNS in kube-system "
        "and the destinations below (the artifact store too, for downloads). Off: egress "
        "is open.",
    )
    egress_cidrs = models.CharField(
        "egress CIDR blocks",
        max_length=1000,
        blank=True,
        validators=[validate_cidr_list],
        help_text="With restricted egress: address blocks model pods may reach, "
        "comma-separated, e.g. '10.0.0.0/8, 192.168.1.10/32'.",
    )
    egress_namespaces = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_namespace_list],
        help_text="With restricted egress: namespaces whose pods model pods may reach, "
        "comma-separated, e.g. 'feature-store, vector-db'.",
    )
    # External exposure (checked by apps.clusters.exposure.problems in clean()).
    exposure = models.CharField(
        max_length=16,
        choices=ExposureMode.choices,
        default=ExposureMode.NONE,
        help_text="How deployments are reached from outside the cluster. An HTTPRoute "
        "needs a cluster that serves the Gateway API, and splits canary traffic exactly.",
    )
    host_template = models.CharField(
        max_length=253,
        blank=True,
        default=DEFAULT_HOST_TEMPLATE,
        help_text="Each deployment's host, from {deployment}, {namespace}, {team}, "
        "{environment} and {domain}, each a whole label, e.g. "
        "'{deployment}.{namespace}.{domain}'.",
    )
    domain = models.CharField(
        max_length=253, blank=True, help_text="What {domain} stands for, e.g. models.example.com."
    )
    ingress_class = models.CharField(
        max_length=253,
        blank=True,
        validators=[validate_object_name],
        help_text="IngressClass of the Ingresses, e.g. 'nginx'; empty for the cluster's default.",
    )
    tls_secret = models.CharField(
        "TLS Secret",
        max_length=253,
        blank=True,
        validators=[validate_object_name],
        help_text="Secret in each team namespace with a certificate for every host (a "
        "wildcard), for Ingresses; Gantry only names it.",
    )
    tls_issuer = models.CharField(
        "cert-manager ClusterIssuer",
        max_length=253,
        blank=True,
        validators=[validate_object_name],
        help_text="cert-manager ClusterIssuer that issues each Ingress its certificate, "
        "e.g. 'letsencrypt'; instead of a TLS Secret.",
    )
    gateway = models.CharField(
        max_length=317,
        blank=True,
        help_text="Gateway the HTTPRoutes attach to, as namespace/name, e.g. "
        "'gateway-system/public'. Its listener terminates TLS.",
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
            models.CheckConstraint(
                condition=models.Q(exposure__in=ExposureMode.values),
                name="environment_exposure_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cluster.name})"

    @property
    def ingress_namespace_list(self) -> list[str]:
        return namespace_list(self.ingress_namespaces)

    @property
    def egress_namespace_list(self) -> list[str]:
        return namespace_list(self.egress_namespaces)

    @property
    def egress_cidr_list(self) -> list[str]:
        return namespace_list(self.egress_cidrs)

    def namespace_for(self, team_name: str) -> str:
        """The Kubernetes namespace that holds `team_name`'s objects here.

        The name alone is ambiguous (`dev` + `a-b` and `dev-a` + `b` are both
        `dev-a-b`); each team's namespace is also stored on its EnvironmentTeam,
        unique per cluster, which is what keeps two teams out of one namespace.
        """
        return team_namespace(self.namespace, team_name)

    @property
    def exposure_settings(self) -> Exposure:
        return Exposure(
            mode=self.exposure,
            host_template=self.host_template,
            domain=self.domain,
            ingress_class=self.ingress_class,
            tls_secret=self.tls_secret,
            tls_issuer=self.tls_issuer,
            gateway=self.gateway,
        )

    def clean(self) -> None:
        # Egress and exposure are checked together, so one save shows every problem.
        errors = {**self.egress_problems(), **problems(self.exposure_settings)}
        if errors:
            raise ValidationError(errors)
        if self.pk is None or self.cluster_id is None or not self.namespace:
            return  # a new environment has no teams yet; each grant is checked on its own
        for link in self.team_links.select_related("team"):
            taken = namespace_holder(
                self.cluster_id, self.namespace_for(link.team.name), but_not=self.pk
            )
            if taken is not None:
                raise ValidationError(
                    {"namespace": collision_message(taken, link.team.name, self.namespace)}
                )

    def egress_problems(self) -> dict[str, str]:
        """Allowed destinations only mean something when egress is restricted."""
        if self.restrict_egress or not (self.egress_cidrs or self.egress_namespaces):
            return {}
        message = (
            "Egress is open, so this allows nothing more: tick 'restrict egress' to let "
            "model pods reach only these, or clear the field."
        )
        return {
            name: message for name in ("egress_cidrs", "egress_namespaces") if getattr(self, name)
        }

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # A new prefix or cluster moves the teams' stored namespaces with it; the
        # unique constraint refuses the move if it would land on another team's.
        links = list(self.team_links.select_related("team"))
        for link in links:
            link.environment = self
            link.derive()
        EnvironmentTeam.objects.bulk_update(links, ["cluster", "namespace"])


class EnvironmentTeamQuerySet(TeamScopedQuerySet):
    team_path = "team"

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list:
        # `environment.teams.add(team)` (the admin's, seed_demo's and the tests' way of
        # granting access) inserts through bulk_create, not save().
        objs = list(objs)
        for link in objs:
            link.derive()
        return super().bulk_create(objs, *args, **kwargs)


class EnvironmentTeam(models.Model):
    """A team's access to an environment, and the namespace its objects live in there.

    `cluster` and `namespace` are derived from the environment and the team's name
    and stored so that the database refuses two teams sharing a namespace.
    """

    environment = models.ForeignKey(
        Environment, on_delete=models.CASCADE, related_name="team_links"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="environment_links")
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+", editable=False)
    namespace = models.CharField(max_length=DNS_LABEL_MAX, editable=False)

    objects = EnvironmentTeamQuerySet.as_manager()

    class Meta:
        db_table = "clusters_environment_teams"
        verbose_name = "team access"
        verbose_name_plural = "teams that may deploy here"
        # The same (environment, team) uniqueness the table had as Django's own M2M table.
        unique_together = [("environment", "team")]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "namespace"], name="clusters_environment_teams_unique_namespace"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} in {self.environment.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.derive()
        super().save(*args, **kwargs)

    def derive(self) -> None:
        """Set the stored cluster and namespace from the environment and team."""
        self.cluster_id = self.environment.cluster_id
        self.namespace = self.environment.namespace_for(self.team.name)

    def clean(self) -> None:
        try:
            environment, team = self.environment, self.team
        except ObjectDoesNotExist:
            return  # the form reports the missing field
        if environment.cluster_id is None or not environment.namespace:
            return
        self.derive()
        taken = namespace_holder(self.cluster_id, self.namespace, but_not=environment.pk)
        if taken is not None:
            raise ValidationError(
                {"team": collision_message(taken, team.name, environment.namespace)}
            )


def namespace_holder(
    cluster_id: int, namespace: str, *, but_not: int | None
) -> EnvironmentTeam | None:
    """The grant of another environment that already owns `namespace` on the cluster."""
    taken = EnvironmentTeam.objects.filter(cluster_id=cluster_id, namespace=namespace)
    if but_not is not None:
        taken = taken.exclude(environment_id=but_not)
    return taken.select_related("environment", "team", "cluster").first()


def collision_message(taken: EnvironmentTeam, team_name: str, prefix: str) -> str:
    return (
        f"Team '{team_name}' with namespace prefix '{prefix}' would use namespace "
        f"'{taken.namespace}' on cluster '{taken.cluster.name}', which already holds team "
        f"'{taken.team.name}' of environment '{taken.environment.name}'. Choose another "
        "namespace prefix (e.g. one without a hyphen) or another environment."
    )
