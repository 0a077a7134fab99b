"""What a cluster's nodes offer and have free, read through `kube` and cached briefly.

A form asks on every change, so the answer (or the news that the cluster cannot
be reached, which costs a connect timeout to learn) is kept in the shared cache
for settings.GANTRY_CLUSTER_NODES_CACHE_S seconds: one LIST of nodes and one of
pods per cluster in that time, however many people are filling in forms.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache

from apps.clusters import capacity, kube
from apps.clusters.choices import Connection

if TYPE_CHECKING:
    from apps.clusters.models import Cluster

CACHE_KEY = "cluster-nodes:{digest}"


class Unavailable(Exception):
    """The cluster's nodes cannot be read now; the message says so in words."""


def cluster_ref(cluster: Cluster) -> kube.ClusterRef:
    """How `kube` reaches a cluster record: plain data, no credentials."""
    return kube.ClusterRef(
        name=cluster.name,
        in_cluster=cluster.connection == Connection.IN_CLUSTER,
        kubeconfig_path=cluster.kubeconfig_path,
        context=cluster.kubeconfig_context,
    )


def node_rooms(ref: kube.ClusterRef) -> list[capacity.NodeRoom]:
    """Each node of the cluster with what it has free, or Unavailable."""
    # Keyed by how the cluster is reached, so a changed kubeconfig is asked afresh.
    key = CACHE_KEY.format(digest=hashlib.sha256(repr(ref).encode()).hexdigest()[:16])
    cached = cache.get(key)
    if cached is None:
        cached = _read(ref)
        cache.set(key, cached, settings.GANTRY_CLUSTER_NODES_CACHE_S)
    if isinstance(cached, str):
        raise Unavailable(cached)
    return cached


def _read(ref: kube.ClusterRef) -> list[capacity.NodeRoom] | str:
    try:
        cluster = kube.connect(ref)
        nodes = cluster.list("Node")
        pods = cluster.list("Pod")
    except kube.KubeError as exc:
        # Not the client's own words: they may name where the credentials live.
        if isinstance(exc, kube.ClusterUnreachable):
            return f"Cluster '{ref.name}' cannot be reached right now"
        return f"Cluster '{ref.name}' refused to list its nodes and pods (HTTP {exc.status})"
    return capacity.node_rooms(nodes, pods)
