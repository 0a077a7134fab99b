"""Constants of deployments shared by the reconciler, the resync and the dashboards."""

from apps.core.constants import MANAGER

# Field managers that are Gantry itself: the applier, and the one that hands
# spec.replicas over to an HPA (see reconciler.apply.hand_replicas_to_hpa).
FIELD_MANAGER = MANAGER
HANDOFF_MANAGER = f"{MANAGER}-handoff"

# A canary runs as a second Deployment named after the stable one.
CANARY_SUFFIX = "-canary"

# The kinds every deployment owns, in the order they are deleted: the way in from
# outside first, then the HPA, so it never scales a Deployment that is going.
# HTTPRoute is a custom resource: only clusters that serve it are asked for it
# (kube.Cluster.serves).
DEPLOYMENT_KINDS = (
    "HTTPRoute",
    "Ingress",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Deployment",
    "Service",
)
# The kinds a team's namespace holds, made once per (environment, team).
NAMESPACE_KINDS = (
    "Namespace",
    "ResourceQuota",
    "LimitRange",
    "ServiceAccount",
    "NetworkPolicy",
)

# Classes of PostgreSQL advisory locks (apps.core.lib.locks), distinct so that a
# deployment's id and a cluster's id never take the same lock.
LOCK_DEPLOYMENT = 1
LOCK_RESYNC = 2
