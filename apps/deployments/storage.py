"""Where a model server finds its weights: pure functions from an artifact URI to the
volumes, init container and local path of a pod (KServe's storage-initializer pattern).

- `s3://`, `gs://`, `azureblob://`, `https://`, `hf://`: an init container runs the
  storage initializer, which downloads the artifact into an emptyDir; the server
  container mounts it read-only at /mnt/models. Credentials come only by reference:
  the environment's storage Secret as `envFrom`, its ServiceAccount as the pod's.
- `pvc://<claim>/<path>`: the claim is mounted read-only; no download.
- `oci://<image>`: the model image is mounted as an image volume (the modelcar
  pattern, Kubernetes >= 1.33); no download.

A version that declares its size gets an emptyDir `sizeLimit` and an
`ephemeral-storage` request to match, so the scheduler picks a node with room.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from apps.deployments.manifest_specs import StorageSpec, VersionSpec

MODEL_DIR = "/mnt/models"
POD_TMP = "/tmp"  # nosec B108 # the pod's own emptyDir, not this host's
MODEL_VOLUME = "model"
INITIALIZER = "storage-initializer"
DOWNLOADED_SCHEMES = ("s3", "gs", "azureblob", "https", "hf")


@dataclass(frozen=True)
class ModelStorage:
    """What the pod needs for one version's artifact."""

    # The path the runtime is given in place of the URI.
    local_path: str
    volumes: list[dict[str, Any]] = field(default_factory=list)
    # The server container's read-only mount of the model volume.
    mounts: list[dict[str, Any]] = field(default_factory=list)
    init_containers: list[dict[str, Any]] = field(default_factory=list)
    # The server container's ephemeral-storage request ("" for none).
    ephemeral_storage: str = ""
    service_account: str = ""


def initializer_uri(uri: str) -> str:
    """The URI as the storage initializer reads it: it knows Azure Blob Storage by its
    HTTPS address, not by our `azureblob://account/container/path` shorthand."""
    parts = urlsplit(uri)
    if parts.scheme == "azureblob":
        return f"https://{parts.netloc}.blob.core.windows.net{parts.path}"
    return uri


def model_storage(
    version: VersionSpec,
    storage: StorageSpec,
    security_context: dict[str, Any],
    cpu_memory: dict[str, str],
) -> ModelStorage:
    """The pod's share of `version`'s artifact. The init container shares the server
    container's `security_context`, and its CPU and memory (`cpu_memory`): init
    containers run before the server, so the pod's requests, and what the team's
    quota counted, stay those of the server alone."""
    parts = urlsplit(version.artifact_uri)
    read_only_mount = {"name": MODEL_VOLUME, "mountPath": MODEL_DIR, "readOnly": True}
    if parts.scheme == "pvc":
        claim = {"claimName": parts.netloc, "readOnly": True}
        return ModelStorage(
            local_path=f"{MODEL_DIR}/{parts.path.strip('/')}",
            volumes=[{"name": MODEL_VOLUME, "persistentVolumeClaim": claim}],
            mounts=[read_only_mount],
        )
    if parts.scheme == "oci":
        reference = version.artifact_uri.removeprefix("oci://")
        image = {"reference": reference, "pullPolicy": "IfNotPresent"}
        return ModelStorage(
            local_path=MODEL_DIR,
            volumes=[{"name": MODEL_VOLUME, "image": image}],
            mounts=[read_only_mount],
        )
    if parts.scheme not in DOWNLOADED_SCHEMES:
        raise ValueError(f"no way to fetch {version.artifact_uri!r}: unknown scheme")
    return _downloaded(version, storage, security_context, cpu_memory, read_only_mount)


def _downloaded(
    version: VersionSpec,
    storage: StorageSpec,
    security_context: dict[str, Any],
    cpu_memory: dict[str, str],
    read_only_mount: dict[str, Any],
) -> ModelStorage:
    empty_dir = {"sizeLimit": version.artifact_size} if version.artifact_size else {}
    initializer: dict[str, Any] = {
        "name": INITIALIZER,
        "image": storage.initializer_image,
        "args": [initializer_uri(version.artifact_uri), MODEL_DIR],
        "env": [{"name": "HOME", "value": POD_TMP}],
        "resources": {"requests": dict(cpu_memory), "limits": dict(cpu_memory)},
        "securityContext": security_context,
        "volumeMounts": [
            {"name": MODEL_VOLUME, "mountPath": MODEL_DIR},
            {"name": "tmp", "mountPath": POD_TMP},
        ],
    }
    if storage.secret:
        initializer["envFrom"] = [{"secretRef": {"name": storage.secret}}]
    return ModelStorage(
        local_path=MODEL_DIR,
        volumes=[{"name": MODEL_VOLUME, "emptyDir": empty_dir}],
        mounts=[read_only_mount],
        init_containers=[initializer],
        ephemeral_storage=version.artifact_size,
        service_account=storage.service_account,
    )
