"""Records to plain data: what the edge modules (`kube`, `manifests`) are given.

The one place a deployment record, its team's quota and its cluster become the
dataclasses that `manifests` turns into objects and `kube` connects with.
"""

from __future__ import annotations

from django.conf import settings

from apps.clusters.choices import ExposureMode
from apps.clusters.inventory import cluster_ref  # noqa: F401 (its callers import it here)
from apps.clusters.models import Environment
from apps.core.lib.keylookup import KeyLookup
from apps.deployments import manifests, priority
from apps.deployments.models import Deployment
from apps.quotas.models import Quota, QuotaLimit
from apps.registry.models import ModelVersion

# What a reconcile reads of a record besides its own row, in one query.
RELATED = ("team", "environment__cluster", "model_version__model", "canary_version")


_LOAD = KeyLookup(Deployment.objects.select_related(*RELATED))


def load(deployment_id: int) -> Deployment | None:
    """The record with everything `spec_of` reads, or None once it is gone.

    Every reconcile and status check starts here, so its SQL is compiled once per
    worker process rather than on each call (see apps.core.lib.keylookup).
    """
    return _LOAD.get(deployment_id)


def version_spec(version: ModelVersion) -> manifests.VersionSpec:
    return manifests.VersionSpec(
        version=version.version,
        runtime=version.runtime,
        artifact_uri=version.artifact_uri,
        image=version.effective_image,
        port=version.effective_port,
        health_path=version.effective_health_path,
        artifact_size=version.artifact_size,
    )


def storage_spec(environment: Environment) -> manifests.StorageSpec:
    return manifests.StorageSpec(
        initializer_image=settings.GANTRY_STORAGE_INITIALIZER_IMAGE,
        secret=environment.storage_secret,
        service_account=environment.storage_service_account,
    )


def priority_class(environment: Environment) -> str:
    if not settings.GANTRY_PRIORITY_CLASSES:
        return ""
    return priority.class_name(environment.tier)


def exposure_spec(record: Deployment, *, gateway_api: bool) -> manifests.ExposureSpec | None:
    """The record's external exposure, as its environment sets it; `gateway_api` says
    whether its cluster serves HTTPRoutes."""
    rules = record.environment.exposure_settings
    if not rules.enabled:
        return None
    host = rules.host(
        deployment=record.name,
        namespace=record.namespace,
        team=record.team.name,
        environment=record.environment.name,
    )
    if rules.mode == ExposureMode.INGRESS:
        return manifests.ExposureSpec(
            kind="Ingress",
            host=host,
            ingress_class=rules.ingress_class,
            tls_secret=rules.tls_secret,
            tls_issuer=rules.tls_issuer,
        )
    gateway_namespace, gateway_name = rules.gateway_ref
    return manifests.ExposureSpec(
        kind="HTTPRoute",
        host=host,
        gateway_namespace=gateway_namespace,
        gateway_name=gateway_name,
        served=gateway_api,
    )


def spec_of(record: Deployment, *, gateway_api: bool = True) -> manifests.DeploymentSpec:
    """The one place a deployment record becomes plain data for manifests.

    `gateway_api`: whether the record's cluster serves HTTPRoutes (the reconciler and
    resync ask it; pages show what a cluster that serves them gets).
    """
    return manifests.DeploymentSpec(
        id=record.pk,
        name=record.name,
        namespace=record.namespace,
        model=record.model_version.model.name,
        team=record.team.name,
        environment=record.environment.name,
        installation=settings.GANTRY_INSTALLATION,
        generation=record.generation,
        state=record.state,
        stable=version_spec(record.model_version),
        canary=version_spec(record.canary_version) if record.canary_version_id else None,
        canary_weight=record.canary_weight,
        storage=storage_spec(record.environment),
        require_spread=record.environment.require_spread,
        priority_class=priority_class(record.environment),
        exposure=exposure_spec(record, gateway_api=gateway_api),
        replicas=record.replicas,
        min_replicas=record.min_replicas,
        max_replicas=record.max_replicas,
        autoscaling_metric=record.autoscaling_metric,
        autoscaling_metric_name=record.autoscaling_metric_name,
        autoscaling_target=record.autoscaling_target,
        cpu=record.cpu,
        memory=record.memory,
        gpu_count=record.gpu_count,
        gpu_model=record.gpu_model,
        mig_profile=record.mig_profile,
        progress_deadline_seconds=settings.GANTRY_PROGRESS_DEADLINE_S,
    )


def quota_spec(quota: Quota | None) -> manifests.QuotaSpec | None:
    if quota is None:
        return None
    mig = tuple(
        sorted(
            (limit.resource, limit.limit)
            for limit in quota.limits.all()
            if limit.kind == QuotaLimit.Kind.MIG_PROFILE
        )
    )
    return manifests.QuotaSpec(
        gpus=quota.gpus_total, cpu=quota.cpu, memory=quota.memory, pods=quota.replicas, mig=mig
    )


def namespace_spec(
    environment: Environment, team_name: str, quota: Quota | None
) -> manifests.NamespaceSpec:
    return manifests.NamespaceSpec(
        name=environment.namespace_for(team_name),
        team=team_name,
        environment=environment.name,
        installation=settings.GANTRY_INSTALLATION,
        quota=quota_spec(quota),
        ingress_from=tuple(environment.ingress_namespace_list),
        restrict_egress=environment.restrict_egress,
        egress_to_namespaces=tuple(environment.egress_namespace_list),
        egress_to_cidrs=tuple(environment.egress_cidr_list),
        # Where the platform made the namespaces (and gave Gantry a Role in each), Gantry
        # neither creates nor reads Namespace objects.
        owned=not settings.GANTRY_NAMESPACES,
    )


def team_quota(team_id: int) -> Quota | None:
    return Quota.objects.filter(team_id=team_id).prefetch_related("limits").first()
