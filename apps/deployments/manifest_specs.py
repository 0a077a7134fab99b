"""The plain data that manifests take: a deployment's and a namespace's spec, as
`apps.deployments.reconciler.specs` builds them from the records (and the UI's
manifest preview does). No ORM, no cluster: dataclasses and their derived facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apps.deployments import constants
from apps.deployments.choices import State

# KServe's storage initializer: the downloader users of s3:// and hf:// URIs already
# trust (it reads the same URIs and credentials). Pinned; settings may override it.
STORAGE_INITIALIZER_IMAGE = "kserve/storage-initializer:v0.15.2"


@dataclass(frozen=True)
class StorageSpec:
    """How an environment's pods fetch model artifacts: the downloader's image, and
    the storage Secret and ServiceAccount (already in the namespace) it may use."""

    initializer_image: str = STORAGE_INITIALIZER_IMAGE
    secret: str = ""
    service_account: str = ""


@dataclass(frozen=True)
class ExposureSpec:
    """How one deployment is reached from outside the cluster: an Ingress, or an HTTPRoute
    on a Gateway (whose canary split is then exact, by weight)."""

    kind: str  # "Ingress" or "HTTPRoute"
    host: str
    ingress_class: str = ""
    tls_secret: str = ""  # one Secret for every host (a wildcard certificate)
    tls_issuer: str = ""  # a cert-manager ClusterIssuer: one certificate per Ingress
    gateway_namespace: str = ""
    gateway_name: str = ""
    # False when the environment wants an HTTPRoute but the cluster does not serve the
    # Gateway API: nothing external is made, and the record says why.
    served: bool = True

    @property
    def routes(self) -> bool:
        return self.kind == "HTTPRoute" and self.served


@dataclass(frozen=True)
class VersionSpec:
    """What one model version runs: its runtime preset, image and weights."""

    version: str
    runtime: str
    artifact_uri: str
    image: str
    port: int
    health_path: str
    # How much room the downloaded artifact needs ("40Gi"); "" when not declared.
    artifact_size: str = ""


@dataclass(frozen=True)
class DeploymentSpec:
    """Everything manifests need about one Gantry deployment, as plain data."""

    id: int
    name: str
    namespace: str
    model: str
    team: str
    environment: str
    installation: str
    generation: int
    state: str
    stable: VersionSpec
    canary: VersionSpec | None = None
    canary_weight: int = 0
    replicas: int = 1
    min_replicas: int | None = None
    max_replicas: int | None = None
    autoscaling_metric: str = "cpu"
    autoscaling_metric_name: str = ""
    autoscaling_target: int | None = None
    cpu: str = "1"
    memory: str = "4Gi"
    gpu_count: int = 0
    gpu_model: str = ""
    mig_profile: str = ""
    progress_deadline_seconds: int = 600
    storage: StorageSpec = field(default_factory=StorageSpec)
    # Replicas must land on different nodes (else: preferred, not required).
    require_spread: bool = False
    # The PriorityClass of the environment's tier (apps.deployments.priority); "" for none.
    priority_class: str = ""
    exposure: ExposureSpec | None = None

    @property
    def autoscaled(self) -> bool:
        return self.is_running and has_hpa_bounds(self)

    @property
    def is_running(self) -> bool:
        return self.state == State.RUNNING

    @property
    def has_canary(self) -> bool:
        return self.canary is not None and self.canary_weight > 0

    @property
    def canary_name(self) -> str:
        return self.name + constants.CANARY_SUFFIX

    @property
    def exact_split(self) -> bool:
        """An HTTPRoute splits traffic by weight: each track has its own Service."""
        return self.exposure is not None and self.exposure.routes


@dataclass(frozen=True)
class QuotaSpec:
    """A team's Gantry quota, as the hard limits of a ResourceQuota (None: no limit)."""

    gpus: int | None = None
    cpu: str = ""
    memory: str = ""
    pods: int | None = None
    mig: tuple[tuple[str, int], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class NamespaceSpec:
    """The namespace of one team in one environment, and its guard rails."""

    name: str
    team: str
    environment: str
    installation: str
    quota: QuotaSpec | None = None
    owned: bool = True  # False: the platform made it (GANTRY_NAMESPACES); Gantry does not
    # Namespaces besides its own whose pods may reach its model servers (an ingress
    # or gateway controller, Prometheus).
    ingress_from: tuple[str, ...] = ()
    # Egress: open unless restricted; then only the own namespace, DNS in kube-system,
    # and these namespaces and CIDR blocks.
    restrict_egress: bool = False
    egress_to_namespaces: tuple[str, ...] = ()
    egress_to_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectRef:
    """Names one Kubernetes object; its `key` is what records store."""

    kind: str
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}"

    @classmethod
    def of(cls, obj: dict[str, Any]) -> ObjectRef:
        meta = obj["metadata"]
        return cls(obj["kind"], meta.get("namespace", ""), meta["name"])


def has_hpa_bounds(spec: DeploymentSpec) -> bool:
    return (
        spec.min_replicas is not None
        and spec.max_replicas is not None
        and spec.min_replicas < spec.max_replicas
    )
