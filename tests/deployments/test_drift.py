"""Drift: which differences between applied and live objects are Gantry's business."""

import copy
from dataclasses import replace

from apps.deployments import drift
from apps.deployments import manifests as m
from tests.deployments.test_manifests import BASE, NAMESPACE


def live_copy(obj):
    """The object as the API server would serve it: defaults filled in."""
    live = copy.deepcopy(obj)
    live["metadata"]["uid"] = "abc"
    live["metadata"]["labels"]["kubernetes.io/metadata.name"] = "x"
    pod = live["spec"]["template"]["spec"]
    pod["dnsPolicy"] = "ClusterFirst"
    pod["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    pod["containers"][0]["readinessProbe"]["timeoutSeconds"] = 1
    return live


def test_an_object_with_only_server_defaults_added_has_not_drifted():
    desired = m.deployment(BASE)
    assert drift.differences(desired, live_copy(desired)) == []


def test_a_changed_image_is_drift_at_its_path():
    desired = m.deployment(BASE)
    live = live_copy(desired)
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "evil/image:latest"
    assert drift.differences(desired, live) == ["spec.template.spec.containers[server].image"]


def test_quantities_compare_by_value():
    desired = m.deployment(BASE)
    live = live_copy(desired)
    live["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "2000m"
    assert drift.differences(desired, live) == []


def test_a_container_someone_else_added_is_not_drift():
    desired = m.deployment(BASE)
    live = live_copy(desired)
    live["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "proxy:1"})
    assert drift.differences(desired, live) == []


def test_replicas_left_to_the_hpa_are_not_drift():
    desired = m.deployment(replace(BASE, min_replicas=1, max_replicas=4, autoscaling_target=50))
    live = live_copy(desired)
    live["spec"]["replicas"] = 4
    assert drift.differences(desired, live) == []


def test_a_missing_field_is_drift():
    desired = m.deployment(BASE)
    live = live_copy(desired)
    del live["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert drift.differences(desired, live) == [
        "spec.template.spec.containers[server].securityContext"
    ]


def test_a_quota_limit_removed_from_gantry_is_drift_until_removed_from_the_cluster():
    desired = m.resource_quota(NAMESPACE)
    live = copy.deepcopy(desired)
    del desired["spec"]["hard"]["pods"]
    assert drift.differences(desired, live) == ["spec.hard"]


def test_the_status_digest_ignores_timestamps_and_sees_replica_counts():
    obj = {
        "metadata": {"name": "chat", "generation": 2},
        "spec": {"replicas": 2},
        "status": {
            "observedGeneration": 2,
            "readyReplicas": 1,
            "conditions": [
                {"type": "Available", "status": "False", "lastUpdateTime": "2025-01-01T00:00:00Z"}
            ],
        },
    }
    later = copy.deepcopy(obj)
    later["status"]["conditions"][0]["lastUpdateTime"] = "2025-01-01T00:05:00Z"
    ready = copy.deepcopy(obj)
    ready["status"]["readyReplicas"] = 2
    assert drift.status_digest([obj]) == drift.status_digest([later])
    assert drift.status_digest([obj]) != drift.status_digest([ready])
