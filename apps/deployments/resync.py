"""Resync: the periodic sweep that finds what no message said.

Per cluster it LISTs each managed kind once, by Gantry's labels, *before* loading
the records (so an object in the LIST always has its record loaded, never taken
for an orphan), and compares:

- a record whose generation is not applied, or that is being deleted, or whose
  last apply failed for a reason that may pass: reconcile;
- an object missing, or a Gantry-owned field changed by someone else: reconcile;
- Deployment status that moved since the record's last look, or a way in from
  outside that was not open yet: a status check (observe only, no writes);
- objects labelled for a deployment that no record wants (orphans, or leftovers of
  a record that no longer wants them): deleted here;
- namespace objects missing or drifted: a namespace reconcile.

A converged fleet costs one LIST per kind the cluster serves and no writes (custom
resources such as HTTPRoute are skipped where discovery says they are not served).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from apps.accounts.models import Team
from apps.clusters import kube
from apps.clusters.models import Cluster, Environment
from apps.core.lib import locks
from apps.deployments import conditions, drift, exposure, manifests
from apps.deployments.choices import ConditionStatus, ConditionType, EventSource, Reason, State
from apps.deployments.constants import DEPLOYMENT_KINDS, LOCK_RESYNC, NAMESPACE_KINDS
from apps.deployments.models import Deployment, Event
from apps.deployments.reconciler import exposed
from apps.deployments.reconciler.specs import RELATED, cluster_ref, namespace_spec, spec_of
from apps.deployments.reconciler.status import is_refused_for_good, mark_unreachable
from apps.quotas.models import Quota

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """What one cluster's sweep found to do."""

    cluster: str
    reconcile: set[int] = field(default_factory=set)
    observe: set[int] = field(default_factory=set)
    namespaces: set[tuple[int, int]] = field(default_factory=set)
    deleted: list[str] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    unreachable: bool = False


def resync_all() -> list[Plan]:
    """Sweep every active cluster; an unreachable or failing one does not hold up the others."""
    plans = []
    for cluster in Cluster.objects.filter(is_active=True):
        try:
            plans.append(resync_cluster(cluster))
        except Exception:
            # Whatever one cluster throws (a refused LIST, a bug) is that cluster's: log it
            # and sweep the rest; the next resync tries it again.
            log.exception("resync of cluster %s failed; the other clusters are swept", cluster)
            plans.append(Plan(cluster=cluster.name))
    return plans


def resync_cluster(cluster_model: Cluster) -> Plan:
    plan = Plan(cluster=cluster_model.name)
    with locks.try_lock(LOCK_RESYNC, cluster_model.pk) as held:
        if not held:
            log.info("resync of cluster %s is already running", cluster_model.name)
            return plan
        try:
            cluster = kube.connect(cluster_ref(cluster_model))
            live = _list_all(cluster)
        except kube.ClusterUnreachable as exc:
            plan.unreachable = True
            _mark_cluster_unreachable(cluster_model, exc)
            return plan
        _compare(cluster, cluster_model, live, plan)
    return plan


def _list_all(cluster: kube.Cluster) -> dict[str, list[dict[str, Any]]]:
    labels = {
        manifests.MANAGED_BY: manifests.MANAGER,
        manifests.INSTALLATION: settings.GANTRY_INSTALLATION,
    }
    # A custom resource the cluster does not serve (HTTPRoute without the Gateway API)
    # holds nothing, and is not asked for.
    kinds = [kind for kind in DEPLOYMENT_KINDS + NAMESPACE_KINDS if cluster.serves(kind)]
    live: dict[str, list[dict[str, Any]]] = {
        kind: [] for kind in DEPLOYMENT_KINDS + NAMESPACE_KINDS
    }
    if not settings.GANTRY_NAMESPACES:
        live.update({kind: cluster.list(kind, labels=labels) for kind in kinds})
        return live
    # Rights per namespace (GANTRY_NAMESPACES): one LIST per kind in each, and no Namespaces.
    live.update(
        {
            kind: [
                obj
                for namespace in settings.GANTRY_NAMESPACES
                for obj in cluster.list(kind, namespace=namespace, labels=labels)
            ]
            for kind in kinds
            if kind != "Namespace"
        }
    )
    return live


def _mark_cluster_unreachable(cluster_model: Cluster, error: kube.KubeError) -> None:
    records = Deployment.objects.select_related(*RELATED).filter(environment__cluster=cluster_model)
    for record in records:
        synced = conditions.get(record.conditions, ConditionType.SYNCED) or {}
        if synced.get("reason") != Reason.UNREACHABLE:
            mark_unreachable(record, error)


def _key(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return (obj["kind"], meta.get("namespace", ""), meta["name"])


def _compare(
    cluster: kube.Cluster,
    cluster_model: Cluster,
    live: dict[str, list[dict[str, Any]]],
    plan: Plan,
) -> None:
    records = list(
        Deployment.objects.select_related(*RELATED).filter(environment__cluster=cluster_model)
    )
    by_id = {record.pk: record for record in records}
    live_by_key = {_key(obj): obj for objs in live.values() for obj in objs}
    # Objects of each deployment, by the id on their label.
    owned: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for kind in DEPLOYMENT_KINDS:
        for obj in live[kind]:
            ident = (obj["metadata"].get("labels") or {}).get(manifests.DEPLOYMENT_ID, "")
            owned[int(ident) if ident.isdigit() else -1].append(obj)

    elsewhere = recorded_elsewhere(set(owned) - set(by_id))
    for ident, objs in owned.items():
        if ident not in by_id and ident not in elsewhere:
            for obj in objs:
                delete_object(cluster, obj, plan, why="orphan: no deployment record")

    for record in records:
        compare_record(cluster, record, owned.get(record.pk, []), live_by_key, plan)

    compare_namespaces(records, live_by_key, plan)


def recorded_elsewhere(ids: set[int]) -> set[int]:
    """Of `ids` (deployment ids on objects with no record in this cluster record), those
    whose record exists under another cluster record: the same cluster registered twice,
    or this record just replaced. Their objects are not orphans; the other decides."""
    if not ids:
        return set()
    return set(Deployment.objects.filter(pk__in=ids).values_list("pk", flat=True))


def compare_record(
    cluster: kube.Cluster,
    record: Deployment,
    objs: list[dict[str, Any]],
    live_by_key: dict[tuple[str, str, str], dict[str, Any]],
    plan: Plan,
) -> None:
    def reconcile(reason: str) -> None:
        plan.reconcile.add(record.pk)
        plan.reasons.setdefault(record.pk, reason)

    if record.state == State.DELETING:
        return reconcile("being deleted")
    if is_refused_for_good(record):
        return None  # the cluster refused this generation; only a new spec can help
    if record.observed_generation < record.generation:
        return reconcile(f"generation {record.generation} not applied")
    synced = conditions.get(record.conditions, ConditionType.SYNCED) or {}
    if synced.get("status") != ConditionStatus.TRUE:
        return reconcile(f"not synced ({synced.get('reason', 'never')})")

    spec = spec_of(record, gateway_api=cluster.serves(exposure.HTTP_ROUTE))
    wanted = manifests.deployment_objects(spec)
    wanted_keys = {_key(obj) for obj in wanted}
    for obj in objs:
        if _key(obj) not in wanted_keys:
            delete_object(cluster, obj, plan, why=f"no longer wanted by deployment {record.pk}")
    for obj in wanted:
        have = live_by_key.get(_key(obj))
        if have is None:
            return reconcile(f"{obj['kind']} {obj['metadata']['name']} missing")
        differences = drift.differences(obj, have)
        if differences:
            return reconcile(f"drift in {obj['kind']} {obj['metadata']['name']}: {differences}")

    deployments = [live_by_key[_key(obj)] for obj in wanted if obj["kind"] == "Deployment"]
    # A way in that was not open yet (say, its Gateway was missing) is looked at again.
    if drift.status_digest(deployments) != record.status_digest or exposed.pending(record):
        plan.observe.add(record.pk)
    return None


def compare_namespaces(
    records: list[Deployment],
    live_by_key: dict[tuple[str, str, str], dict[str, Any]],
    plan: Plan,
) -> None:
    pairs: dict[tuple[int, int], tuple[Environment, str]] = {}
    for record in records:
        if record.state != State.DELETING:
            pairs[(record.environment_id, record.team_id)] = (record.environment, record.team.name)
    quotas = {
        quota.team_id: quota
        for quota in Quota.objects.filter(team_id__in={team for _, team in pairs}).prefetch_related(
            "limits"
        )
    }
    for (environment_id, team_id), (environment, team_name) in pairs.items():
        ns = namespace_spec(environment, team_name, quotas.get(team_id))
        wanted = manifests.namespace_objects(ns)
        stale = any(
            _key(obj) not in live_by_key or drift.differences(obj, live_by_key[_key(obj)])
            for obj in wanted
        )
        unwanted_quota = ns.quota is None or not manifests.quota_hard(ns.quota)
        if stale or (
            unwanted_quota and ("ResourceQuota", ns.name, manifests.RESOURCE_QUOTA) in live_by_key
        ):
            plan.namespaces.add((environment_id, team_id))


def delete_object(cluster: kube.Cluster, obj: dict[str, Any], plan: Plan, why: str) -> None:
    """Delete an object no record wants, and say so in the audit trail."""
    kind, namespace, name = _key(obj)
    if obj["metadata"].get("deletionTimestamp"):
        return
    log.info("resync: deleting %s %s/%s (%s)", kind, namespace, name, why)
    try:
        # Foreground only where there are dependents (a Deployment's ReplicaSets and pods).
        propagation = "Foreground" if kind == "Deployment" else "Background"
        # Only the version judged unwanted: a newer one may belong to a new record of
        # the same name by now (its apply relabelled it), and must stay.
        version = obj["metadata"].get("resourceVersion", "")
        cluster.delete(kind, name, namespace, propagation=propagation, resource_version=version)
    except kube.KubeError as exc:
        log.warning("resync: could not delete %s %s/%s: %s", kind, namespace, name, exc)
        return
    plan.deleted.append(f"{kind} {namespace}/{name}: {why}")
    labels = obj["metadata"].get("labels") or {}
    Event.objects.create(
        team=Team.objects.filter(name=labels.get(manifests.TEAM, "")).first(),
        source=EventSource.GANTRY,
        verb="delete-unwanted",
        target=f"{kind} {namespace}/{name}",
        message=f"Deleted {kind} {namespace}/{name}, which carries Gantry's labels ({why}).",
    )
