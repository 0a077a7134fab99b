"""The Exposed condition: whether the way in from outside the cluster can carry traffic.

An Ingress is applied and that is all Gantry can know (nothing is probed). An
HTTPRoute needs the Gateway API and its Gateway: a cluster without the CRDs, a
Gateway that does not exist, or one that refuses the route is said in words, never
left silent. A converged deployment costs nothing here: only an apply, or an Exposed
condition that is not True yet, makes Gantry look (one GET of the route, one of the
Gateway).
"""

from __future__ import annotations

from apps.clusters import kube
from apps.clusters.choices import ExposureMode
from apps.deployments import exposure, manifests
from apps.deployments.choices import ConditionStatus, ConditionType, Reason
from apps.deployments.conditions import Status
from apps.deployments.models import Deployment


def gateway_api_served(cluster: kube.Cluster, record: Deployment) -> bool:
    """Whether the record's cluster can hold its HTTPRoute (asked only when it has one)."""
    if record.environment.exposure != ExposureMode.HTTP_ROUTE:
        return True
    return cluster.serves(exposure.HTTP_ROUTE)


def pending(record: Deployment) -> bool:
    """The record's Exposed condition says something is missing: worth another look.
    (Not so once exposure ended: nothing is wanted, so nothing can come.)"""
    exposed = record.condition(ConditionType.EXPOSED)
    return (
        bool(exposed)
        and exposed.get("status") != ConditionStatus.TRUE
        and exposed.get("reason") != Reason.NOT_EXPOSED
    )


def status(
    cluster: kube.Cluster, record: Deployment, spec: manifests.DeploymentSpec
) -> Status | None:
    """The Exposed condition for `spec`, or None when there is nothing to say."""
    way_in = spec.exposure
    if way_in is None:
        if record.condition(ConditionType.EXPOSED) is None:
            return None
        return Status(
            ConditionStatus.FALSE,
            Reason.NOT_EXPOSED,
            "The environment no longer exposes deployments outside the cluster; its Ingress "
            "or HTTPRoute was removed. The in-cluster URL still answers.",
        )
    if way_in.kind == exposure.INGRESS:
        return Status(
            ConditionStatus.TRUE,
            Reason.INGRESS_APPLIED,
            f"Ingress {spec.name} sends {way_in.host} to Service {spec.name}; Gantry does not "
            "probe it.",
        )
    if not way_in.served:
        return Status(
            ConditionStatus.FALSE,
            Reason.GATEWAY_API_NOT_SERVED,
            f"Cluster {cluster.ref.name} does not serve the Gateway API (HTTPRoute in "
            "gateway.networking.k8s.io/v1): install its CRDs, or expose the environment "
            "through an Ingress. Meanwhile nothing is exposed and a canary gets the share of "
            "its replicas.",
        )
    route = cluster.get(exposure.HTTP_ROUTE, spec.name, spec.namespace)
    reason, words = exposure.route_problem(route, _gateway_found(cluster, way_in))
    if reason:
        return Status(ConditionStatus.FALSE, reason, words)
    split = (
        f"; the canary gets exactly {spec.canary_weight}% of requests" if spec.has_canary else ""
    )
    return Status(
        ConditionStatus.TRUE,
        Reason.ROUTE_APPLIED,
        f"HTTPRoute {spec.name} sends {way_in.host} through Gateway "
        f"{way_in.gateway_namespace}/{way_in.gateway_name}{split}; Gantry does not probe it.",
    )


def _gateway_found(cluster: kube.Cluster, way_in: manifests.ExposureSpec) -> bool | None:
    """Whether the Gateway exists; None when Gantry may not read it (a namespaced install)."""
    try:
        gateway = cluster.get("Gateway", way_in.gateway_name, way_in.gateway_namespace)
    except kube.KubeError as exc:
        if exc.transient:
            raise
        return None  # Forbidden: the route's own status is all there is to go by
    return gateway is not None
