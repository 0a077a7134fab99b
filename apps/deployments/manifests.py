"""Pure functions from a deployment's spec (plain data) to the Kubernetes objects it needs.

Nothing here touches the ORM or a cluster: `apps.deployments.reconciler` builds a
`DeploymentSpec` from the record and applies what these functions return. Every
object carries `app.kubernetes.io/managed-by: gantry` and the labels naming its
deployment, which is how resync finds drift and orphans.

Replicas and traffic: a canary is a second Deployment behind the same Service,
so traffic follows the replica ratio of the two, unless an HTTPRoute exposes the
deployment: then each track has its own Service and the route splits by weight
(`exposure`). With a fixed replica count the
total is split: the canary gets `canary_replicas(total, weight)` of it and the stable
version the rest, at least one pod while the weight is under 100 (never more pods
than quota admission counted). Under an HPA the stable Deployment's replicas belong
to the HPA (left out of the applied object) and the canary keeps its share of
`min_replicas`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from apps.core.constants import MANAGER
from apps.deployments import exposure, fence, storage
from apps.deployments.choices import State

# Re-exported too: the reconciler and tests name these as `manifests.ObjectRef` etc.
from apps.deployments.manifest_specs import (  # noqa: F401
    DeploymentSpec,
    ExposureSpec,
    NamespaceSpec,
    ObjectRef,
    QuotaSpec,
    StorageSpec,
    VersionSpec,
)
from apps.deployments.sizing import canary_replicas
from apps.registry.runtimes import PRESETS

MANAGED_BY = "app.kubernetes.io/managed-by"
NAME = "app.kubernetes.io/name"
INSTANCE = "app.kubernetes.io/instance"
VERSION = "app.kubernetes.io/version"
DEPLOYMENT_ID = "gantry.dev/deployment-id"
TRACK = "gantry.dev/track"
INSTALLATION = "gantry.dev/installation"
TEAM = "gantry.dev/team"
ENVIRONMENT = "gantry.dev/environment"
TEMPLATE_HASH = "gantry.dev/template-hash"

STABLE = "stable"
CANARY = "canary"

GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
CONTAINER = "server"
SERVICE_PORT = exposure.SERVICE_PORT
RESOURCE_QUOTA = "gantry-quota"
LIMIT_RANGE = "gantry-defaults"
NETWORK_POLICY = "gantry-model-servers"
# Created with the namespace, so pods never wait for the controller-made "default" one.
SERVICE_ACCOUNT = "gantry-model-server"
POD_TMP, POD_SHM = "/tmp", "/dev/shm"  # nosec B108 # the pod's emptyDirs, not this host's
# Non-root ids for the restricted security context; runtime images that run as
# root by default work as any user once HOME and caches point at writable /tmp.
RUN_AS_USER = 1000
CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def replica_split(spec: DeploymentSpec) -> tuple[int | None, int]:
    """(stable, canary) replica counts; stable is None when the HPA owns it."""
    if not spec.is_running:
        return 0, 0
    if spec.autoscaled:
        canary = (
            canary_replicas(spec.min_replicas or 0, spec.canary_weight) if spec.has_canary else 0
        )
        return None, canary
    total = spec.min_replicas if spec.min_replicas is not None else spec.replicas
    if not spec.has_canary:
        return total, 0
    canary = min(canary_replicas(total, spec.canary_weight), total)
    # Below 100 % the stable version keeps serving, even when rounding up gave the canary all.
    stable = total - canary if spec.canary_weight >= 100 else max(total - canary, 1)
    return stable, canary


def wants_pdb(spec: DeploymentSpec) -> bool:
    """A PodDisruptionBudget only makes sense when two or more pods serve."""
    stable, canary = replica_split(spec)
    floor = spec.min_replicas if spec.autoscaled else stable
    return spec.is_running and (floor or 0) + canary >= 2


def owner_labels(spec: DeploymentSpec) -> dict[str, str]:
    """Labels on every object of one deployment: how resync ties objects to records."""
    return {
        MANAGED_BY: MANAGER,
        INSTALLATION: spec.installation,
        NAME: spec.model,
        INSTANCE: spec.name,
        DEPLOYMENT_ID: str(spec.id),
    }


def selector(spec: DeploymentSpec, track: str) -> dict[str, str]:
    """A Deployment's selector: the id and track never change, so neither does it."""
    return {DEPLOYMENT_ID: str(spec.id), TRACK: track}


def namespace_labels(ns: NamespaceSpec) -> dict[str, str]:
    return {
        MANAGED_BY: MANAGER,
        INSTALLATION: ns.installation,
        TEAM: ns.team,
        ENVIRONMENT: ns.environment,
    }


# --- the Deployment ---------------------------------------------------------------------


def _container_args(version: VersionSpec, model_path: str) -> list[str]:
    # The runtime reads the weights from where the pod put them, never from the URI.
    preset = PRESETS[version.runtime]
    return [arg.format(artifact=model_path, port=version.port) for arg in preset.args]


def _resources(spec: DeploymentSpec, ephemeral_storage: str) -> dict[str, Any]:
    # Limits equal requests: model servers get Guaranteed QoS, and extended
    # resources (GPUs, MIG slices) must have requests equal to limits anyway.
    amounts: dict[str, Any] = {"cpu": spec.cpu, "memory": spec.memory}
    if spec.gpu_count:
        resource = f"nvidia.com/mig-{spec.mig_profile}" if spec.mig_profile else GPU_RESOURCE
        amounts[resource] = str(spec.gpu_count)
    requests = dict(amounts)
    if ephemeral_storage:
        # Requested, not limited: the downloaded weights count against it, and a
        # limit would evict the pod for its logs and caches on top of them.
        requests["ephemeral-storage"] = ephemeral_storage
    return {"requests": requests, "limits": dict(amounts)}


def _probe(version: VersionSpec, **timing: int) -> dict[str, Any]:
    return {"httpGet": {"path": version.health_path, "port": "http"}, **timing}


def _container(
    spec: DeploymentSpec, version: VersionSpec, model: storage.ModelStorage
) -> dict[str, Any]:
    return {
        "name": CONTAINER,
        "image": version.image,
        "args": _container_args(version, model.local_path),
        "ports": [{"name": "http", "containerPort": version.port, "protocol": "TCP"}],
        "env": [
            # The root filesystem is read-only: caches go to the writable /tmp.
            {"name": "HOME", "value": POD_TMP},
            {"name": "XDG_CACHE_HOME", "value": f"{POD_TMP}/.cache"},
        ],
        "resources": _resources(spec, model.ephemeral_storage),
        # Loading weights can take minutes; the startup probe holds liveness off until then.
        "startupProbe": _probe(version, periodSeconds=10, failureThreshold=60),
        "readinessProbe": _probe(version, periodSeconds=5, failureThreshold=3),
        "livenessProbe": _probe(version, periodSeconds=10, failureThreshold=3),
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": [
            {"name": "tmp", "mountPath": POD_TMP},
            {"name": "dshm", "mountPath": POD_SHM},
            *model.mounts,
        ],
    }


def _pod_spec(spec: DeploymentSpec, version: VersionSpec) -> dict[str, Any]:
    cpu_memory = {"cpu": spec.cpu, "memory": spec.memory}
    model = storage.model_storage(version, spec.storage, CONTAINER_SECURITY, cpu_memory)
    pod: dict[str, Any] = {
        # An environment's ServiceAccount, when it names one, is its workload identity
        # for object storage; otherwise the namespace's own, which has no rights.
        "serviceAccountName": model.service_account or SERVICE_ACCOUNT,
        # Model servers have no business with the Kubernetes API.
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_USER,
            "runAsGroup": RUN_AS_USER,
            "fsGroup": RUN_AS_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(spec, version, model)],
        "volumes": [
            {"name": "tmp", "emptyDir": {}},
            # Model servers share tensors between processes through /dev/shm.
            {"name": "dshm", "emptyDir": {"medium": "Memory"}},
            *model.volumes,
        ],
    }
    if model.init_containers:
        pod["initContainers"] = model.init_containers
    if spec.gpu_count:
        pod["tolerations"] = [
            {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"},
        ]
    if spec.gpu_model:
        pod["nodeSelector"] = {GPU_PRODUCT_LABEL: spec.gpu_model}
    pod["topologySpreadConstraints"] = _spread(spec)
    if spec.priority_class:
        # The tier's class: production preempts lower tiers for GPUs, never the reverse.
        pod["priorityClassName"] = spec.priority_class
    return pod


def _spread(spec: DeploymentSpec) -> list[dict[str, Any]]:
    """Replicas on different nodes, and zones where nodes name theirs, so one node or
    zone lost is not the whole model. Best effort unless the environment requires it
    across nodes; `pod-template-hash` keeps a rollout's old pods from skewing the count."""
    selector = {"matchLabels": {DEPLOYMENT_ID: str(spec.id)}}
    node_rule = "DoNotSchedule" if spec.require_spread else "ScheduleAnyway"
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": rule,
            "labelSelector": selector,
            "matchLabelKeys": ["pod-template-hash"],
        }
        for key, rule in (
            ("kubernetes.io/hostname", node_rule),
            ("topology.kubernetes.io/zone", "ScheduleAnyway"),
        )
    ]


def template_hash(template: dict[str, Any]) -> str:
    """A short digest of a pod template: pods carrying it run the current spec."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()[:10]


def pod_template(spec: DeploymentSpec, track: str) -> dict[str, Any]:
    version = spec.canary if track == CANARY and spec.canary else spec.stable
    labels = {**owner_labels(spec), TRACK: track, VERSION: version.version}
    template: dict[str, Any] = {
        "metadata": {
            "labels": labels,
            "annotations": {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(version.port),
                "prometheus.io/path": "/metrics",
            },
        },
        "spec": _pod_spec(spec, version),
    }
    labels[TEMPLATE_HASH] = template_hash(template)
    return template


def deployment(spec: DeploymentSpec, track: str = STABLE) -> dict[str, Any]:
    """The apps/v1 Deployment of the stable version, or of the canary."""
    stable_replicas, canary = replica_split(spec)
    replicas = canary if track == CANARY else stable_replicas
    version = spec.canary if track == CANARY and spec.canary else spec.stable
    body: dict[str, Any] = {
        "selector": {"matchLabels": selector(spec, track)},
        "revisionHistoryLimit": 5,
        "progressDeadlineSeconds": spec.progress_deadline_seconds,
        "strategy": {
            "type": "RollingUpdate",
            # Never take a serving pod down before its replacement is ready.
            "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
        },
        "template": pod_template(spec, track),
    }
    if replicas is not None:
        # Left out under an HPA: the field then belongs to the HPA, and nothing fights.
        body["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": spec.canary_name if track == CANARY else spec.name,
            "namespace": spec.namespace,
            "labels": {**owner_labels(spec), TRACK: track, VERSION: version.version},
        },
        "spec": body,
    }


def service(spec: DeploymentSpec, track: str = STABLE) -> dict[str, Any]:
    """The ClusterIP Service over the stable and canary pods alike; under an HTTPRoute's
    exact split, one per track (the canary's named like its Deployment)."""
    selector = {DEPLOYMENT_ID: str(spec.id), INSTANCE: spec.name}
    if spec.exact_split:
        selector[TRACK] = track
    name = spec.canary_name if track == CANARY else spec.name
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": spec.namespace, "labels": owner_labels(spec)},
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            # A named target port, so stable and canary may listen on different ports.
            "ports": [
                {"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"}
            ],
        },
    }


def horizontal_pod_autoscaler(spec: DeploymentSpec) -> dict[str, Any]:
    if spec.autoscaling_metric == "custom":
        metric = {
            "type": "Pods",
            "pods": {
                "metric": {"name": spec.autoscaling_metric_name},
                "target": {"type": "AverageValue", "averageValue": str(spec.autoscaling_target)},
            },
        }
    else:
        metric = {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": spec.autoscaling_target},
            },
        }
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": owner_labels(spec)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
            "minReplicas": spec.min_replicas,
            "maxReplicas": spec.max_replicas,
            "metrics": [metric],
        },
    }


def pod_disruption_budget(spec: DeploymentSpec) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": owner_labels(spec)},
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": {DEPLOYMENT_ID: str(spec.id)}},
        },
    }


def deployment_objects(spec: DeploymentSpec) -> list[dict[str, Any]]:
    """Every object the deployment wants, in the order to apply them."""
    if spec.state == State.DELETING:
        return []
    objects = [service(spec), deployment(spec, STABLE)]
    if spec.has_canary:
        if spec.exact_split:
            objects.append(service(spec, CANARY))
        objects.append(deployment(spec, CANARY))
    if spec.autoscaled:
        objects.append(horizontal_pod_autoscaler(spec))
    if wants_pdb(spec):
        objects.append(pod_disruption_budget(spec))
    # Last: the way in opens once what it leads to is there.
    objects += exposure.external_objects(spec, owner_labels(spec))
    return objects


# --- the namespace ----------------------------------------------------------------------


def namespace(ns: NamespaceSpec) -> dict[str, Any]:
    labels = {
        **namespace_labels(ns),
        # Gantry's pods meet the restricted standard; anything else is refused here.
        "pod-security.kubernetes.io/enforce": "restricted",
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": ns.name, "labels": labels},
    }


def quota_hard(quota: QuotaSpec) -> dict[str, str]:
    hard: dict[str, str] = {}
    if quota.gpus is not None:
        hard[f"requests.{GPU_RESOURCE}"] = str(quota.gpus)
    if quota.cpu:
        hard["requests.cpu"] = quota.cpu
    if quota.memory:
        hard["requests.memory"] = quota.memory
    if quota.pods is not None:
        hard["pods"] = str(quota.pods)
    for profile, limit in quota.mig:
        hard[f"requests.nvidia.com/mig-{profile}"] = str(limit)
    return hard


def resource_quota(ns: NamespaceSpec) -> dict[str, Any] | None:
    """The team's Gantry quota again, enforced by Kubernetes: a second line of defence."""
    hard = quota_hard(ns.quota) if ns.quota else {}
    if not hard:
        return None
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": RESOURCE_QUOTA, "namespace": ns.name, "labels": namespace_labels(ns)},
        "spec": {"hard": hard},
    }


def limit_range(ns: NamespaceSpec) -> dict[str, Any]:
    """Defaults for containers that do not say (Gantry's own always do), so quotas can count."""
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": LIMIT_RANGE, "namespace": ns.name, "labels": namespace_labels(ns)},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "1", "memory": "1Gi"},
                    "defaultRequest": {"cpu": "100m", "memory": "256Mi"},
                }
            ]
        },
    }


def service_account(ns: NamespaceSpec) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": SERVICE_ACCOUNT, "namespace": ns.name, "labels": namespace_labels(ns)},
        "automountServiceAccountToken": False,
    }


def network_policy(ns: NamespaceSpec) -> dict[str, Any]:
    """The team's fence (apps.deployments.fence) around the pods Gantry manages."""
    return fence.network_policy(
        ns, NETWORK_POLICY, namespace_labels(ns), {"matchLabels": {MANAGED_BY: MANAGER}}
    )


def namespace_objects(ns: NamespaceSpec) -> list[dict[str, Any]]:
    """The namespace first (when Gantry owns it), then its quota, limits, service account
    and network fence (None dropped)."""
    objects = [
        namespace(ns) if ns.owned else None,
        resource_quota(ns),
        limit_range(ns),
        service_account(ns),
        network_policy(ns),
    ]
    return [obj for obj in objects if obj is not None]
