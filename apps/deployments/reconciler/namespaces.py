"""A team's namespace in an environment: the Namespace, its ResourceQuota (the team's
quota mirrored), LimitRange and ServiceAccount, applied before its deployments."""

from __future__ import annotations

from collections.abc import Callable

from apps.clusters import kube
from apps.clusters.models import Environment
from apps.deployments import manifests
from apps.deployments.choices import EventSource
from apps.deployments.models import Deployment, Event
from apps.deployments.reconciler.apply import apply_object
from apps.deployments.reconciler.specs import cluster_ref, namespace_spec, team_quota

# Namespaces this process has applied. A reconcile applies its namespace's objects
# only the first time, so it costs no extra requests or queries after that; later
# changes (a team quota edited) reach the cluster through resync, which compares the
# namespace objects with the records and re-applies them when they differ.
_namespaces_applied: set[tuple[str, str, str]] = set()


def ensure_namespace(
    cluster: kube.Cluster,
    name: str,
    spec: Callable[[], manifests.NamespaceSpec],
    *,
    refresh: bool = False,
) -> list[str]:
    """Apply the namespace, its ResourceQuota, LimitRange and ServiceAccount when needed.

    `spec` is called only when they are applied, so a cached namespace costs no query.
    Returns what a `refresh` (drift found) restored or re-created, for the audit trail.
    """
    key = (cluster.ref.name, cluster.server, name)
    if not refresh and key in _namespaces_applied:
        return []
    objects = manifests.namespace_objects(spec())
    notes: list[str] = []
    for obj in objects:
        apply_object(cluster, obj, notes, applied_before=refresh)
    if not any(obj["kind"] == "ResourceQuota" for obj in objects):
        # The team's quota was removed: so goes its mirror.
        cluster.delete("ResourceQuota", manifests.RESOURCE_QUOTA, name)
    _namespaces_applied.add(key)
    return notes if refresh else []


def forget_namespace(cluster: kube.Cluster, name: str) -> None:
    _namespaces_applied.discard((cluster.ref.name, cluster.server, name))


def ensure_deployment_namespace(
    cluster: kube.Cluster, record: Deployment, *, refresh: bool = False
) -> None:
    """The namespace of `record`'s team in its environment, applied when needed."""
    ensure_namespace(
        cluster,
        record.namespace,
        lambda: namespace_spec(record.environment, record.team.name, team_quota(record.team_id)),
        refresh=refresh,
    )


def reconcile_namespace(environment_id: int, team_id: int) -> None:
    """Re-apply one team's namespace objects in one environment (resync found drift)."""
    environment = Environment.objects.select_related("cluster").filter(pk=environment_id).first()
    team_name = (
        Deployment.objects.filter(team_id=team_id).values_list("team__name", flat=True).first()
    )
    if environment is None or team_name is None or not environment.cluster.is_active:
        return
    cluster = kube.connect(cluster_ref(environment.cluster))
    name = environment.namespace_for(team_name)
    notes = ensure_namespace(
        cluster,
        name,
        lambda: namespace_spec(environment, team_name, team_quota(team_id)),
        refresh=True,
    )
    Event.objects.bulk_create(
        Event(
            team_id=team_id,
            source=EventSource.GANTRY,
            verb="correct-drift",
            target=f"namespace {name}",
            message=note,
        )
        for note in notes
    )
