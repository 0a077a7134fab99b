"""Failures reach the record in the cluster's own words, and bad rollouts roll back."""

import pytest

from apps.deployments import services
from apps.deployments.choices import ConditionType
from apps.deployments.models import Event
from tests.reconciler.conftest import (
    PROGRESS_DEADLINE_S,
    condition,
    converge,
    is_available,
    is_degraded,
)

pytestmark = pytest.mark.cluster


def test_more_gpus_than_any_node_has_is_degraded_with_the_schedulers_message(make_deployment):
    deployment = make_deployment(gpu_count=9, gpu_model="NVIDIA-H100-80GB-HBM3")

    record = converge(deployment, is_degraded("Unschedulable"), what="Degraded: Unschedulable")

    message = condition(record, ConditionType.DEGRADED)["message"]
    assert "Insufficient nvidia.com/gpu" in message, message
    assert "nodes are available" in message, message
    assert condition(record, ConditionType.AVAILABLE)["status"] == "False"


def test_an_image_that_cannot_be_pulled_is_degraded_with_image_pull_backoff(
    make_deployment, version, model_version
):
    deployment = make_deployment(version=version("pull-error", model_version))

    record = converge(
        deployment, is_degraded("ImagePullBackOff"), what="Degraded: ImagePullBackOff"
    )

    message = condition(record, ConditionType.DEGRADED)["message"]
    assert "Cannot pull image registry.example.com/llm/server:pull-error" in message, message


def test_a_crashing_container_is_degraded_with_crash_loop_backoff(
    make_deployment, version, model_version
):
    deployment = make_deployment(version=version("crash-loop", model_version))

    record = converge(
        deployment, is_degraded("CrashLoopBackOff"), what="Degraded: CrashLoopBackOff"
    )

    message = condition(record, ConditionType.DEGRADED)["message"]
    assert "keeps crashing" in message, message
    assert "exit code" in message, message


def test_a_container_out_of_memory_is_degraded_with_oom_killed(
    make_deployment, version, model_version
):
    deployment = make_deployment(version=version("oom", model_version), memory="2Gi")

    record = converge(deployment, is_degraded("OOMKilled"), what="Degraded: OOMKilled")

    message = condition(record, ConditionType.DEGRADED)["message"]
    assert "ran out of memory" in message, message
    assert "memory limit of 2Gi" in message, message


def test_a_never_ready_rollout_passes_its_deadline_and_says_why(
    make_deployment, version, model_version
):
    deployment = make_deployment(version=version("never-ready", model_version))

    record = converge(
        deployment,
        is_degraded("ProgressDeadlineExceeded"),
        what="Degraded: ProgressDeadlineExceeded",
        timeout=PROGRESS_DEADLINE_S + 60,
    )

    message = condition(record, ConditionType.DEGRADED)["message"]
    assert f"made no progress for {PROGRESS_DEADLINE_S} s" in message, message
    assert "Readiness probe failed" in message, message
    assert condition(record, ConditionType.AVAILABLE)["reason"] == "ProgressDeadlineExceeded"


def test_a_rollout_that_cannot_become_ready_rolls_back_to_the_last_good_revision(
    make_deployment, version, model_version, deployer
):
    deployment = converge(make_deployment(), is_available, what="the first revision Available")
    services.update_deployment(
        deployment, actor=deployer, model_version=version("never-ready", model_version)
    )

    record = converge(
        deployment,
        lambda r: r.generation == 3 and is_available(r),
        what="an automatic rollback (generation 3) to become Available",
        timeout=PROGRESS_DEADLINE_S + 90,
    )

    assert record.model_version_id == model_version.pk
    assert record.revisions.get(number=3).reason == "rolled back to revision 1"
    rollback = Event.objects.get(deployment=record, verb="auto-rollback")
    assert "Rolled back generation 2 to revision 1" in rollback.message, rollback.message
    assert "made no progress" in rollback.message, rollback.message


def test_auto_rollback_off_leaves_the_failed_rollout_degraded(
    make_deployment, version, model_version, deployer
):
    deployment = converge(
        make_deployment(auto_rollback=False), is_available, what="the first revision Available"
    )
    services.update_deployment(
        deployment, actor=deployer, model_version=version("never-ready", model_version)
    )

    record = converge(
        deployment,
        is_degraded("ProgressDeadlineExceeded"),
        what="Degraded: ProgressDeadlineExceeded",
        timeout=PROGRESS_DEADLINE_S + 60,
    )

    assert record.generation == 2
    assert not Event.objects.filter(deployment=record, verb="auto-rollback").exists()


# --- storage references the namespace does not hold -----------------------------------


def test_a_missing_storage_secret_is_degraded_in_the_kubelets_words(make_deployment, environment):
    # "missing-..." is the local cluster's stand-in for absence (kwok-stages.yaml): KWOK
    # cannot look Secrets up, so it answers as a kubelet would for any Secret not there.
    environment.storage_secret = "missing-s3-creds"
    environment.save()
    deployment = make_deployment()

    record = converge(
        deployment, is_degraded("CreateContainerError"), what="Degraded: CreateContainerError"
    )

    message = condition(record, ConditionType.DEGRADED)["message"]
    assert "Init container storage-initializer of pod chat-" in message, message
    assert (
        'cannot start: CreateContainerConfigError: secret "missing-s3-creds" not found' in message
    ), message
    assert condition(record, ConditionType.AVAILABLE)["status"] == "False"


def test_a_missing_service_account_is_degraded_with_the_controllers_words(
    make_deployment, environment
):
    # Real, not simulated: the ServiceAccount admission plugin refuses the ReplicaSet's pods.
    environment.storage_service_account = "no-such-reader"
    environment.save()
    deployment = make_deployment()

    record = converge(deployment, is_degraded("FailedCreate"), what="Degraded: FailedCreate")

    message = condition(record, ConditionType.DEGRADED)["message"]
    assert "Pods of chat cannot be created" in message, message
    assert 'serviceaccount "no-such-reader" not found' in message, message
