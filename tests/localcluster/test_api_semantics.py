"""The API server validates and applies like a real one (Gantry relies on these)."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.localcluster.helpers import condition, deployment, wait_for

pytestmark = pytest.mark.cluster

FIELD_MANAGER = "gantry-test"


def test_changing_a_deployments_selector_is_rejected_with_422(
    apps: client.AppsV1Api, kube_namespace: str
) -> None:
    apps.create_namespaced_deployment(kube_namespace, deployment("web"))
    changed = deployment("web")
    changed["spec"]["selector"] = {"matchLabels": {"app": "web", "track": "canary"}}
    changed["spec"]["template"]["metadata"]["labels"] = {"app": "web", "track": "canary"}

    with pytest.raises(ApiException) as excinfo:
        apps.replace_namespaced_deployment("web", kube_namespace, changed)

    assert excinfo.value.status == 422, (
        f"expected 422 Unprocessable Entity, got {excinfo.value.status}: {excinfo.value.body}"
    )
    assert "field is immutable" in excinfo.value.body, excinfo.value.body


def _apply(apps: client.AppsV1Api, namespace: str, manifest: dict) -> client.V1Deployment:
    return apps.patch_namespaced_deployment(
        manifest["metadata"]["name"],
        namespace,
        manifest,
        field_manager=FIELD_MANAGER,
        force=True,
        _content_type="application/apply-patch+yaml",
    )


def test_server_side_applying_the_same_manifest_twice_changes_nothing(
    apps: client.AppsV1Api, kube_namespace: str
) -> None:
    manifest = deployment("api", replicas=2)
    _apply(apps, kube_namespace, manifest)
    # let the controllers finish writing status, so only our apply could change it
    settled = wait_for(
        lambda: apps.read_namespaced_deployment("api", kube_namespace),
        lambda d: (
            d.status.observed_generation == d.metadata.generation
            and d.status.available_replicas == 2
            and getattr(condition(d, "Progressing"), "reason", None) == "NewReplicaSetAvailable"
        ),
        what="the deployment to roll out",
    )

    again = _apply(apps, kube_namespace, manifest)

    assert again.metadata.resource_version == settled.metadata.resource_version, (
        "re-applying an unchanged manifest wrote a new version "
        f"({settled.metadata.resource_version} -> {again.metadata.resource_version})"
    )
    assert again.metadata.generation == settled.metadata.generation


def _hpa(target: str) -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": target},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": 1,
            "maxReplicas": 4,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
    }


def test_hpa_is_accepted_and_reported_by_the_api(
    apps: client.AppsV1Api, autoscaling: client.AutoscalingV2Api, kube_namespace: str
) -> None:
    apps.create_namespaced_deployment(kube_namespace, deployment("scaled"))
    autoscaling.create_namespaced_horizontal_pod_autoscaler(kube_namespace, _hpa("scaled"))

    listed = autoscaling.list_namespaced_horizontal_pod_autoscaler(kube_namespace).items

    assert [h.metadata.name for h in listed] == ["scaled"]
    spec = listed[0].spec
    assert (spec.min_replicas, spec.max_replicas) == (1, 4)
    assert spec.scale_target_ref.name == "scaled"
    assert spec.metrics[0].resource.target.average_utilization == 70


def test_hpa_controller_reports_on_the_hpa(
    apps: client.AppsV1Api, autoscaling: client.AutoscalingV2Api, kube_namespace: str
) -> None:
    apps.create_namespaced_deployment(kube_namespace, deployment("scaled"))
    autoscaling.create_namespaced_horizontal_pod_autoscaler(kube_namespace, _hpa("scaled"))

    # There is no metrics API here, so it cannot compute a utilization, but the
    # horizontal-pod-autoscaler controller must still look at the target and say so.
    hpa = wait_for(
        lambda: autoscaling.read_namespaced_horizontal_pod_autoscaler("scaled", kube_namespace),
        lambda h: condition(h, "AbleToScale") is not None,
        what="the HPA controller to set the AbleToScale condition",
    )
    assert condition(hpa, "AbleToScale").status == "True", hpa.status.conditions
