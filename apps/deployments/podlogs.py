"""A deployment's live pods and their containers' logs, read from its cluster.

The one place the API (and later the pages) get them from. Only pods carrying the
deployment's labels are ever read: a name of any other pod is "no such pod",
so a caller can reach no pod but their own deployment's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from apps.clusters import kube
from apps.deployments import manifests, pods
from apps.deployments.models import Deployment
from apps.deployments.reconciler.specs import cluster_ref

CACHE_KEY = "deployment-pods:{installation}:{pk}"
EVENTS_CACHE_KEY = "deployment-kube-events:{installation}:{pk}"
# kube-apiserver's own answers when it is up but cannot serve: worth trying later.
UNAVAILABLE_STATUSES = {429, 500, 502, 503, 504}


class PodsError(Exception):
    """Pods or a log cannot be shown; the message is the sentence to show."""


class PodNotFound(PodsError):
    """No pod of that name belongs to the deployment."""


class ClusterDown(PodsError):
    """The deployment's cluster does not answer."""


class UnknownContainer(PodsError):
    """The pod has no container of that name."""


class LogUnavailable(PodsError):
    """The container has no such log yet: it never started, or never restarted."""


class LogRefused(PodsError):
    """The cluster refused the log request for a reason of its own."""


@dataclass(frozen=True)
class LogRequest:
    container: str = ""
    previous: bool = False
    tail_lines: int | None = None
    since_seconds: int | None = None


def _cluster(deployment: Deployment) -> kube.Cluster:
    cluster = deployment.environment.cluster
    try:
        return kube.connect(cluster_ref(cluster))
    except kube.ClusterUnreachable:
        raise _down(deployment) from None


def _down(deployment: Deployment) -> ClusterDown:
    # Not the client's own message: it may name where the cluster's credentials live.
    name = deployment.environment.cluster.name
    return ClusterDown(
        f"Cluster '{name}' cannot be reached right now, so the pods of deployment "
        f"'{deployment.name}' cannot be read; try again shortly."
    )


def _unavailable(exc: kube.KubeError) -> bool:
    return isinstance(exc, kube.ClusterUnreachable) or exc.status in UNAVAILABLE_STATUSES


def _labels(deployment: Deployment) -> dict[str, str]:
    return {
        manifests.DEPLOYMENT_ID: str(deployment.pk),
        manifests.INSTALLATION: settings.GANTRY_INSTALLATION,
    }


def _gpu_products(cluster: kube.Cluster, live_pods: list[dict[str, Any]]) -> dict[str, str]:
    """The GPU product of each node the pods run on; "" where it cannot be read."""
    nodes = {(p.get("spec") or {}).get("nodeName") for p in live_pods} - {None, ""}
    products = {}
    for node in sorted(nodes):
        try:
            products[node] = pods.gpu_product(cluster.get("Node", node))
        except kube.KubeError as exc:
            if _unavailable(exc):
                raise
            products[node] = ""  # e.g. no permission to read nodes: the rest still shows
    return products


def list_pods(deployment: Deployment) -> list[dict[str, Any]]:
    """The deployment's pods as rows, stable first; cached for GANTRY_PODS_CACHE_S."""
    key = CACHE_KEY.format(installation=settings.GANTRY_INSTALLATION, pk=deployment.pk)
    rows = cache.get(key)
    if rows is not None:
        return rows
    cluster = _cluster(deployment)
    try:
        live = cluster.list("Pod", namespace=deployment.namespace, labels=_labels(deployment))
        products = _gpu_products(cluster, live)
    except kube.KubeError as exc:
        if _unavailable(exc):
            raise _down(deployment) from None
        raise LogRefused(f"Cluster '{cluster.ref.name}' refused to list pods: {exc}") from None
    rows = [row.as_dict() for row in pods.sort_rows([pods.pod_row(p, products) for p in live])]
    if settings.GANTRY_PODS_CACHE_S:
        cache.set(key, rows, settings.GANTRY_PODS_CACHE_S)
    return rows


def list_events(deployment: Deployment) -> list[dict[str, Any]]:
    """Kubernetes' events about the deployment's pods, ReplicaSets and Deployments (the
    scheduler's, the kubelet's), newest first; the cluster keeps them about an hour.
    Cached like the pods."""
    key = EVENTS_CACHE_KEY.format(installation=settings.GANTRY_INSTALLATION, pk=deployment.pk)
    rows = cache.get(key)
    if rows is not None:
        return rows
    cluster = _cluster(deployment)
    try:
        live = cluster.list("Event", namespace=deployment.namespace)
    except kube.KubeError as exc:
        if _unavailable(exc):
            raise _down(deployment) from None
        raise LogRefused(f"Cluster '{cluster.ref.name}' refused to list events: {exc}") from None
    rows = pods.event_rows(live, deployment.name)
    if settings.GANTRY_PODS_CACHE_S:
        cache.set(key, rows, settings.GANTRY_PODS_CACHE_S)
    return rows


def _not_found(deployment: Deployment, name: str) -> PodNotFound:
    return PodNotFound(f"Deployment '{deployment.name}' has no pod named '{name}'.")


def _pod(cluster: kube.Cluster, deployment: Deployment, name: str) -> dict[str, Any]:
    pod = cluster.get("Pod", name, deployment.namespace)
    if pod is None or not pods.belongs_to(pod, deployment.pk, settings.GANTRY_INSTALLATION):
        raise _not_found(deployment, name)
    return pod


def read_log(deployment: Deployment, pod_name: str, request: LogRequest) -> str:
    """The log of one container of one of the deployment's pods, bounded by the settings.

    Raises PodNotFound, UnknownContainer, LogUnavailable (never started, or no
    previous instance), ClusterDown, LogRefused.
    """
    if not pods.is_pod_name(pod_name):
        raise _not_found(deployment, pod_name)  # asks nothing of the cluster
    cluster = _cluster(deployment)
    try:
        pod = _pod(cluster, deployment, pod_name)
        container = pods.container_of(pod, request.container)
        if not container:
            names = ", ".join(c.get("name", "") for c in pod["spec"].get("containers") or [])
            raise UnknownContainer(
                f"Pod '{pod_name}' has no container named '{request.container}'; "
                f"its containers: {names}."
            )
        refusal = pods.log_refusal(pod, container, request.previous)
        if refusal:
            raise LogUnavailable(refusal[0].upper() + refusal[1:] + ".")
        query = kube.LogQuery(
            container=container,
            previous=request.previous,
            tail_lines=request.tail_lines,
            since_seconds=request.since_seconds,
            max_bytes=settings.GANTRY_LOG_MAX_BYTES,
            max_lines=settings.GANTRY_LOG_MAX_LINES,
        )
        return cluster.read_log(deployment.namespace, pod_name, query)
    except (kube.ContainerNotStarted, kube.NoPreviousContainer) as exc:
        raise LogUnavailable(exc.message) from None
    except kube.NotFound:
        raise PodNotFound(
            f"Deployment '{deployment.name}' has no pod named '{pod_name}'."
        ) from None
    except kube.KubeError as exc:
        if _unavailable(exc):
            raise _down(deployment) from None
        raise LogRefused(f"Cluster '{cluster.ref.name}' could not serve the log: {exc}") from None
