"""Where model servers find their weights: the pod that each artifact URI scheme gets,
for each runtime preset, checked against the local cluster's Kubernetes schema."""

from dataclasses import replace

import kubernetes_validate
import pytest

from apps.deployments import manifests as m
from apps.registry.runtimes import PRESETS
from tests.deployments.test_manifests import BASE, KUBERNETES_VERSION, VLLM

DOWNLOADED = {
    "s3://models/llama-3-8b/": "s3://models/llama-3-8b/",
    "gs://models/resnet50/1/": "gs://models/resnet50/1/",
    "https://models.example.com/resnet50.onnx": "https://models.example.com/resnet50.onnx",
    "hf://meta-llama/Meta-Llama-3-8B-Instruct": "hf://meta-llama/Meta-Llama-3-8B-Instruct",
    # The initializer knows Azure Blob Storage by its HTTPS address only.
    "azureblob://acct/models/bert/": "https://acct.blob.core.windows.net/models/bert/",
}
# What each runtime is told, with the weights at /mnt/models.
RUNTIME_ARGS = {
    "triton": ["tritonserver", "--model-repository=/mnt/models", "--http-port=8000"],
    "vllm": ["--model", "/mnt/models", "--port", "8000"],
    "mlserver": ["mlserver", "start", "/mnt/models"],
    "torchserve": ["torchserve", "--start", "--model-store", "/mnt/models", "--foreground"],
    "custom": ["/mnt/models"],
}


def pod_of(spec: m.DeploymentSpec) -> dict:
    return m.deployment(spec)["spec"]["template"]["spec"]


def with_artifact(uri: str, **version: str) -> m.DeploymentSpec:
    return replace(BASE, stable=replace(VLLM, artifact_uri=uri, **version))


def mounts(container: dict) -> dict[str, dict]:
    return {mount["name"]: mount for mount in container["volumeMounts"]}


@pytest.mark.parametrize(("uri", "fetched"), DOWNLOADED.items())
def test_a_remote_artifact_is_downloaded_by_an_init_container_into_a_read_only_mount(uri, fetched):
    pod = pod_of(with_artifact(uri))
    (initializer,) = pod["initContainers"]
    assert initializer["image"] == m.StorageSpec().initializer_image
    assert initializer["args"] == [fetched, "/mnt/models"]
    assert mounts(initializer)["model"] == {"name": "model", "mountPath": "/mnt/models"}
    server = pod["containers"][0]
    assert mounts(server)["model"] == {
        "name": "model",
        "mountPath": "/mnt/models",
        "readOnly": True,
    }
    assert {"name": "model", "emptyDir": {}} in pod["volumes"]
    assert uri not in server["args"], "the server must read the local copy, not the URI"


@pytest.mark.parametrize("runtime", sorted(RUNTIME_ARGS))
@pytest.mark.parametrize("uri", ["s3://models/m/", "oci://registry.example.com/models/m:1"])
def test_each_runtime_preset_is_told_the_local_path(runtime, uri):
    preset = PRESETS[runtime]
    version = replace(VLLM, runtime=runtime, port=8000, artifact_uri=uri)
    args = pod_of(replace(BASE, stable=version))["containers"][0]["args"]
    assert args == RUNTIME_ARGS[runtime], f"{runtime} ({preset.image or 'custom'})"


def test_a_claim_is_mounted_read_only_and_the_server_gets_the_path_inside_it():
    pod = pod_of(with_artifact("pvc://model-store/llama/3-8b/"))
    assert "initContainers" not in pod
    assert {
        "name": "model",
        "persistentVolumeClaim": {"claimName": "model-store", "readOnly": True},
    } in pod["volumes"]
    server = pod["containers"][0]
    assert server["args"][1] == "/mnt/models/llama/3-8b"
    assert mounts(server)["model"]["readOnly"] is True


def test_a_model_image_is_mounted_as_an_image_volume_without_download():
    pod = pod_of(with_artifact("oci://registry.example.com/models/llama:3"))
    assert "initContainers" not in pod
    assert {
        "name": "model",
        "image": {"reference": "registry.example.com/models/llama:3", "pullPolicy": "IfNotPresent"},
    } in pod["volumes"]


def test_credentials_are_referenced_never_copied():
    spec = replace(
        with_artifact("s3://models/m/"),
        storage=m.StorageSpec(secret="s3-creds", service_account="model-reader"),
    )
    pod = pod_of(spec)
    assert pod["initContainers"][0]["envFrom"] == [{"secretRef": {"name": "s3-creds"}}]
    assert pod["serviceAccountName"] == "model-reader"
    assert "envFrom" not in pod["containers"][0], "the server has no use for storage secrets"


def test_without_storage_settings_pods_run_as_the_namespaces_account_with_no_secret():
    pod = pod_of(with_artifact("s3://models/m/"))
    assert pod["serviceAccountName"] == m.SERVICE_ACCOUNT
    assert "envFrom" not in pod["initContainers"][0]


def test_a_declared_size_bounds_the_download_and_is_requested_from_the_node():
    pod = pod_of(with_artifact("s3://models/m/", artifact_size="40Gi"))
    assert {"name": "model", "emptyDir": {"sizeLimit": "40Gi"}} in pod["volumes"]
    resources = pod["containers"][0]["resources"]
    assert resources["requests"]["ephemeral-storage"] == "40Gi"
    assert "ephemeral-storage" not in resources["limits"]


def test_the_initializer_runs_as_restricted_as_the_server_and_within_its_resources():
    pod = pod_of(with_artifact("s3://models/m/"))
    initializer, server = pod["initContainers"][0], pod["containers"][0]
    assert initializer["securityContext"] == server["securityContext"]
    # Within the server's CPU and memory, so the pod costs what the quota counted.
    wanted = {"cpu": BASE.cpu, "memory": BASE.memory}
    assert initializer["resources"] == {"requests": wanted, "limits": wanted}


@pytest.mark.parametrize(
    "uri",
    [
        *DOWNLOADED,
        "pvc://model-store/llama/",
        "oci://registry.example.com/models/llama:3",
    ],
)
def test_every_scheme_renders_a_pod_valid_for_the_cluster_version(uri):
    spec = replace(
        with_artifact(uri, artifact_size="8Gi"),
        storage=m.StorageSpec(secret="s3-creds", service_account="model-reader"),
    )
    try:
        kubernetes_validate.validate(m.deployment(spec), KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{uri}: invalid at {list(exc.path)}: {exc.message}")


def test_replicas_spread_over_nodes_and_zones_preferably():
    constraints = pod_of(BASE)["topologySpreadConstraints"]
    assert [(c["topologyKey"], c["whenUnsatisfiable"]) for c in constraints] == [
        ("kubernetes.io/hostname", "ScheduleAnyway"),
        ("topology.kubernetes.io/zone", "ScheduleAnyway"),
    ]
    for constraint in constraints:
        assert constraint["labelSelector"] == {"matchLabels": {"gantry.dev/deployment-id": "7"}}
        assert constraint["matchLabelKeys"] == ["pod-template-hash"]


def test_an_environment_may_require_replicas_on_different_nodes():
    constraints = pod_of(replace(BASE, require_spread=True))["topologySpreadConstraints"]
    assert constraints[0]["whenUnsatisfiable"] == "DoNotSchedule"
    assert constraints[1]["whenUnsatisfiable"] == "ScheduleAnyway", "zones stay preferred"
