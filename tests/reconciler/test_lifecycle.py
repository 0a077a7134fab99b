"""Canary, autoscaling, stop and start, deletion: each spec change reaches the cluster."""

import pytest

from apps.deployments import reconciler, services
from apps.deployments.choices import ConditionType
from apps.deployments.models import Deployment
from tests.reconciler.conftest import condition, converge, is_available, names, owned, run

pytestmark = pytest.mark.cluster


def pods_by_track(cluster, deployment):
    counts: dict[str, int] = {}
    for pod in owned(cluster, deployment, "Pod"):
        if pod["metadata"].get("deletionTimestamp"):
            continue
        track = pod["metadata"]["labels"]["gantry.dev/track"]
        counts[track] = counts.get(track, 0) + 1
    return counts


def image_of(obj):
    return obj["spec"]["template"]["spec"]["containers"][0]["image"]


@pytest.fixture
def canaried(make_deployment, version, model_version, deployer):
    """A 4-replica deployment with a canary of v2 at 25 %, Available."""
    deployment = make_deployment(replicas=4)
    v2 = version("canary", model_version)
    services.set_canary(deployment, actor=deployer, version=v2, weight=25)
    return converge(deployment, is_available, what="the canary to become Available"), v2


def test_a_canary_at_25_percent_runs_one_pod_in_four(canaried, cluster):
    deployment, _ = canaried

    assert pods_by_track(cluster, deployment) == {"stable": 3, "canary": 1}
    assert names(owned(cluster, deployment, "Deployment")) == ["chat", "chat-canary"]


def test_the_service_selects_both_tracks(canaried, cluster):
    deployment, _ = canaried
    selector = owned(cluster, deployment, "Service")[0]["spec"]["selector"]

    selected = [
        pod
        for pod in owned(cluster, deployment, "Pod")
        if selector.items() <= pod["metadata"]["labels"].items()
    ]

    assert len(selected) == 4


def test_promote_makes_the_canary_the_stable_version(canaried, cluster, deployer):
    deployment, v2 = canaried

    services.promote(deployment, actor=deployer)
    record = converge(
        deployment,
        lambda r: is_available(r) and pods_by_track(cluster, r) == {"stable": 4},
        what="4 stable pods of v2 and no canary",
    )

    (stable,) = owned(cluster, record, "Deployment")
    assert image_of(stable) == v2.image
    assert sorted(record.applied_objects) == [
        "Deployment/chat",
        "PodDisruptionBudget/chat",
        "Service/chat",
    ]


def test_abort_removes_the_canary(canaried, cluster, deployer, model_version):
    deployment, _ = canaried

    services.abort(deployment, actor=deployer)
    record = converge(
        deployment,
        lambda r: is_available(r) and pods_by_track(cluster, r) == {"stable": 4},
        what="4 stable pods and no canary",
    )

    (stable,) = owned(cluster, record, "Deployment")
    assert image_of(stable) == model_version.effective_image


def test_autoscaling_hands_replicas_to_the_hpa_without_a_dip(make_deployment, cluster, deployer):
    deployment = converge(make_deployment(replicas=3), is_available, what="3 replicas Available")

    services.scale(
        deployment, actor=deployer, min_replicas=2, max_replicas=5, autoscaling_target=60
    )
    record = run(deployment)

    (live,) = owned(cluster, record, "Deployment")
    assert live["spec"]["replicas"] == 3, "replicas fell back when the HPA took them over"
    gantry_fields = next(
        e["fieldsV1"]
        for e in live["metadata"]["managedFields"]
        if e["manager"] == "gantry" and e["operation"] == "Apply"
    )
    assert "f:replicas" not in gantry_fields["f:spec"]
    (hpa,) = owned(cluster, record, "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)


def test_back_to_a_fixed_count_removes_the_hpa(make_deployment, cluster, deployer):
    deployment = make_deployment(min_replicas=1, max_replicas=3, autoscaling_target=60)
    run(deployment)

    services.scale(deployment, actor=deployer, replicas=2)
    record = run(deployment)

    assert owned(cluster, record, "HorizontalPodAutoscaler") == []
    assert owned(cluster, record, "Deployment")[0]["spec"]["replicas"] == 2


def test_stop_scales_to_zero_and_removes_the_hpa(make_deployment, cluster, deployer):
    deployment = make_deployment(min_replicas=2, max_replicas=4, autoscaling_target=60)
    converge(deployment, is_available, what="Available")

    services.stop(deployment, actor=deployer)
    record = converge(
        deployment,
        lambda r: condition(r, ConditionType.PROGRESSING).get("reason") == "Stopped",
        what="every pod to be gone",
    )

    assert owned(cluster, record, "Deployment")[0]["spec"]["replicas"] == 0
    assert owned(cluster, record, "HorizontalPodAutoscaler") == []
    assert owned(cluster, record, "PodDisruptionBudget") == []
    assert condition(record, ConditionType.AVAILABLE)["reason"] == "Stopped"


def test_start_restores_the_last_spec(make_deployment, cluster, deployer):
    deployment = make_deployment(min_replicas=2, max_replicas=4, autoscaling_target=60)
    run(services.stop(deployment, actor=deployer))

    services.start(deployment, actor=deployer)
    record = converge(deployment, is_available, what="Available again")

    assert names(owned(cluster, record, "HorizontalPodAutoscaler")) == ["chat"]
    assert record.ready_replicas >= 2


def test_delete_removes_every_object_then_the_record(make_deployment, cluster, deployer):
    deployment = make_deployment(
        replicas=2, canary_version=None, min_replicas=None, max_replicas=None
    )
    converge(deployment, is_available, what="Available")

    services.request_delete(deployment, actor=deployer)
    for _ in range(120):
        reconciler.reconcile(deployment.pk)
        if not Deployment.objects.filter(pk=deployment.pk).exists():
            break
    else:
        pytest.fail("the record was never deleted")

    left = {
        kind: names(owned(cluster, deployment, kind))
        for kind in ("Deployment", "ReplicaSet", "Pod", "Service", "PodDisruptionBudget")
    }
    assert left == {kind: [] for kind in left}
