"""Each artifact scheme's pod, as manifests render it, accepted by the real API server
and Ready under the simulated kubelets: the init container's download (KWOK runs
init containers to completion), a claim bound to a volume, and an image volume."""

from __future__ import annotations

from dataclasses import replace

import pytest
from kubernetes import client

from apps.deployments import manifests as m
from tests.deployments.test_manifests import BASE, VLLM
from tests.localcluster.helpers import condition, wait_for

pytestmark = pytest.mark.cluster

CPU_ONLY = replace(BASE, gpu_count=0, gpu_model="", cpu="1", memory="1Gi")


def spec_for(namespace: str, uri: str, **storage: str) -> m.DeploymentSpec:
    version = replace(VLLM, artifact_uri=uri, artifact_size="2Gi")
    return replace(CPU_ONLY, namespace=namespace, stable=version, storage=m.StorageSpec(**storage))


def service_accounts(core: client.CoreV1Api, namespace: str, *names: str) -> None:
    for name in names:
        core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})


def wait_available(apps: client.AppsV1Api, namespace: str, name: str, what: str) -> None:
    wait_for(
        lambda: apps.read_namespaced_deployment(name, namespace),
        lambda d: getattr(condition(d, "Available"), "status", None) == "True",
        what=what,
    )


@pytest.mark.parametrize(
    "uri",
    ["s3://models/llama-3-8b/", "hf://meta-llama/Meta-Llama-3-8B", "azureblob://a/c/bert/"],
)
def test_a_downloaded_artifacts_pod_becomes_ready_after_its_init_container(
    apps: client.AppsV1Api, core: client.CoreV1Api, kube_namespace: str, uri: str
) -> None:
    service_accounts(core, kube_namespace, "model-reader")
    spec = spec_for(kube_namespace, uri, secret="s3-creds", service_account="model-reader")
    apps.create_namespaced_deployment(kube_namespace, m.deployment(spec))

    wait_available(apps, kube_namespace, spec.name, f"the {uri} deployment to become Available")
    (pod,) = core.list_namespaced_pod(kube_namespace).items
    (initializer,) = pod.status.init_container_statuses
    assert initializer.name == "storage-initializer"
    finished = initializer.state.terminated
    assert finished is not None, f"the download did not finish: {initializer.state}"
    assert finished.exit_code == 0, f"the download failed: {finished}"
    assert pod.spec.service_account_name == "model-reader"


def test_a_claims_pod_is_ready_once_the_claim_is_bound(
    apps: client.AppsV1Api, core: client.CoreV1Api, kube_namespace: str
) -> None:
    volume = f"{kube_namespace}-models"
    core.create_persistent_volume(
        {
            "metadata": {"name": volume},
            "spec": {
                "capacity": {"storage": "10Gi"},
                "accessModes": ["ReadOnlyMany"],
                "storageClassName": "",
                "hostPath": {"path": "/srv/models"},
                "claimRef": {"namespace": kube_namespace, "name": "model-store"},
            },
        }
    )
    try:
        core.create_namespaced_persistent_volume_claim(
            kube_namespace,
            {
                "metadata": {"name": "model-store"},
                "spec": {
                    "accessModes": ["ReadOnlyMany"],
                    "storageClassName": "",
                    "volumeName": volume,
                    "resources": {"requests": {"storage": "10Gi"}},
                },
            },
        )
        service_accounts(core, kube_namespace, m.SERVICE_ACCOUNT)
        spec = spec_for(kube_namespace, "pvc://model-store/llama/")
        apps.create_namespaced_deployment(kube_namespace, m.deployment(spec))
        wait_available(apps, kube_namespace, spec.name, "the claim's deployment to be Available")
    finally:
        core.delete_persistent_volume(volume)


def test_a_missing_claim_leaves_the_pod_pending_with_the_schedulers_reason(
    apps: client.AppsV1Api, core: client.CoreV1Api, kube_namespace: str
) -> None:
    service_accounts(core, kube_namespace, m.SERVICE_ACCOUNT)
    spec = spec_for(kube_namespace, "pvc://no-such-claim/llama/")
    apps.create_namespaced_deployment(kube_namespace, m.deployment(spec))

    def unschedulable() -> str:
        pods = core.list_namespaced_pod(kube_namespace).items
        for pod in pods:
            for cond in pod.status.conditions or []:
                if cond.type == "PodScheduled" and cond.reason == "Unschedulable":
                    return cond.message
        return ""

    message = wait_for(unschedulable, bool, what="the scheduler to say why the pod waits")
    assert 'persistentvolumeclaim "no-such-claim" not found' in message, message


def test_a_model_image_volume_is_accepted_by_the_api_server(
    apps: client.AppsV1Api, core: client.CoreV1Api, kube_namespace: str
) -> None:
    service_accounts(core, kube_namespace, m.SERVICE_ACCOUNT)
    spec = spec_for(kube_namespace, "oci://registry.example.com/models/llama:3")
    apps.create_namespaced_deployment(kube_namespace, m.deployment(spec))

    wait_available(apps, kube_namespace, spec.name, "the model-image deployment to be Available")
    (pod,) = core.list_namespaced_pod(kube_namespace).items
    volumes = {volume.name: volume for volume in pod.spec.volumes}
    assert volumes["model"].image is not None, (
        "the API server dropped the image volume: is the ImageVolume feature enabled?"
    )
    assert volumes["model"].image.reference == "registry.example.com/models/llama:3"


def test_three_replicas_spread_over_both_cpu_nodes(
    apps: client.AppsV1Api, core: client.CoreV1Api, kube_namespace: str
) -> None:
    service_accounts(core, kube_namespace, m.SERVICE_ACCOUNT)
    spec = replace(spec_for(kube_namespace, "s3://models/m/"), replicas=3, require_spread=False)
    apps.create_namespaced_deployment(kube_namespace, m.deployment(spec))
    wait_available(apps, kube_namespace, spec.name, "the 3-replica deployment to be Available")

    nodes = [pod.spec.node_name for pod in core.list_namespaced_pod(kube_namespace).items]
    assert sorted(set(nodes)) == ["gantry-cpu-1", "gantry-cpu-2"], f"pods ran on {nodes}"


def test_a_missing_storage_secret_stops_the_init_container_as_a_kubelet_would(
    apps: client.AppsV1Api, core: client.CoreV1Api, kube_namespace: str
) -> None:
    # The local cluster's convention (kwok-stages.yaml): a Secret named "missing-..."
    # stands for one the namespace does not hold.
    service_accounts(core, kube_namespace, m.SERVICE_ACCOUNT)
    spec = spec_for(kube_namespace, "s3://models/m/", secret="missing-s3-creds")
    apps.create_namespaced_deployment(kube_namespace, m.deployment(spec))

    def waiting() -> client.V1ContainerStateWaiting | None:
        for pod in core.list_namespaced_pod(kube_namespace).items:
            for status in pod.status.init_container_statuses or []:
                if status.state.waiting and status.state.waiting.reason != "PodInitializing":
                    return status.state.waiting
        return None

    state = wait_for(waiting, bool, what="the init container to wait on its Secret")
    assert (state.reason, state.message) == (
        "CreateContainerConfigError",
        'secret "missing-s3-creds" not found',
    )
    (pod,) = core.list_namespaced_pod(kube_namespace).items
    assert pod.status.phase == "Pending"
    assert condition(pod, "Initialized").status == "False"
    assert pod.status.container_statuses[0].state.waiting.reason == "PodInitializing"
