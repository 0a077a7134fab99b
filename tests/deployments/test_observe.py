"""observe: what the cluster says, as plain dicts, to conditions a person can act on.

Each reason Gantry reports is pinned here with the Deployment and pod status that
the Kubernetes controllers and kubelet write, without a cluster.
"""

from dataclasses import replace
from typing import Any

from apps.deployments import manifests as m
from apps.deployments.choices import ConditionStatus, ConditionType, Reason
from apps.deployments.observe import needs_pods, observe, pod_problem
from tests.deployments.test_manifests import BASE, CANARY, STOPPED

RUNNING = replace(BASE, replicas=2, generation=3, progress_deadline_seconds=600)


def live_deployment(
    replicas: int = 2,
    *,
    name: str = "chat",
    updated: int | None = None,
    ready: int | None = None,
    available: int | None = None,
    total: int | None = None,
    current: bool = True,
    conditions: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """A Deployment as the controller reports it; all counts default to `replicas`."""
    status = {
        "observedGeneration": 4 if current else 3,
        "replicas": replicas if total is None else total,
        "updatedReplicas": replicas if updated is None else updated,
        "readyReplicas": replicas if ready is None else ready,
        "availableReplicas": replicas if available is None else available,
        "conditions": list(conditions),
    }
    metadata = {"name": name, "generation": 4}
    return {"metadata": metadata, "spec": {"replicas": replicas}, "status": status}


def pod(
    spec: m.DeploymentSpec,
    name: str = "chat-abc",
    *,
    track: str = m.STABLE,
    phase: str = "Running",
    ready: bool = False,
    container: dict[str, Any] | None = None,
    scheduled: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A pod of the current template of `track`, as the kubelet and scheduler report it."""
    labels = m.pod_template(spec, track)["metadata"]["labels"]
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    if scheduled is not None:
        conditions.append({"type": "PodScheduled", **scheduled})
    statuses = [{"name": m.CONTAINER, "image": spec.stable.image, **(container or {})}]
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": m.CONTAINER, "resources": {"limits": {"memory": "1Gi"}}}]},
        "status": {"phase": phase, "conditions": conditions, "containerStatuses": statuses},
    }


def condition(obs, type_: str) -> tuple[str, str]:
    return obs.conditions[type_].status, obs.conditions[type_].reason


def test_every_replica_of_the_current_spec_serving_is_available():
    obs = observe(RUNNING, {m.STABLE: live_deployment()})

    assert condition(obs, ConditionType.AVAILABLE) == (
        ConditionStatus.TRUE,
        Reason.ALL_REPLICAS_READY,
    )
    assert condition(obs, ConditionType.PROGRESSING) == (
        ConditionStatus.FALSE,
        Reason.ROLLOUT_COMPLETE,
    )
    assert condition(obs, ConditionType.DEGRADED) == (ConditionStatus.FALSE, Reason.AS_EXPECTED)
    assert obs.complete
    assert obs.settled
    assert not needs_pods(obs.tracks), "a complete rollout must not cost pod reads"


def test_a_missing_deployment_is_creating():
    obs = observe(RUNNING, {m.STABLE: None})

    assert condition(obs, ConditionType.AVAILABLE) == (ConditionStatus.FALSE, Reason.CREATING)
    assert not obs.settled


def test_a_spec_the_controller_has_not_seen_is_in_progress_not_available():
    obs = observe(RUNNING, {m.STABLE: live_deployment(current=False)})

    assert condition(obs, ConditionType.AVAILABLE) == (
        ConditionStatus.FALSE,
        Reason.ROLLOUT_IN_PROGRESS,
    )
    assert condition(obs, ConditionType.PROGRESSING)[0] == ConditionStatus.TRUE


def test_old_pods_still_serving_during_a_rollout_are_not_available():
    obs = observe(RUNNING, {m.STABLE: live_deployment(updated=1, total=3)})

    available = obs.conditions[ConditionType.AVAILABLE]
    assert available.reason == Reason.ROLLOUT_IN_PROGRESS, available
    assert "2 of the previous version still running" in available.message, available.message


def test_an_unschedulable_pod_is_degraded_with_the_schedulers_words():
    words = "0/5 nodes are available: 5 Insufficient nvidia.com/gpu."
    scheduled = {"status": "False", "reason": "Unschedulable", "message": words}
    waiting = pod(RUNNING, phase="Pending", scheduled=scheduled)
    obs = observe(RUNNING, {m.STABLE: live_deployment(ready=0, available=0)}, [waiting])

    degraded = obs.conditions[ConditionType.DEGRADED]
    assert (degraded.status, degraded.reason) == (ConditionStatus.TRUE, Reason.UNSCHEDULABLE)
    assert words in degraded.message, degraded.message
    assert obs.problem.pod == "chat-abc"


def test_an_image_that_cannot_be_pulled_is_image_pull_back_off():
    state = {"waiting": {"reason": "ErrImagePull", "message": 'pull access denied for "x"'}}
    failing = pod(RUNNING, phase="Pending", container={"state": state})
    obs = observe(RUNNING, {m.STABLE: live_deployment(ready=0, available=0)}, [failing])

    degraded = obs.conditions[ConditionType.DEGRADED]
    assert degraded.reason == Reason.IMAGE_PULL_BACK_OFF, degraded
    assert "pull access denied" in degraded.message, degraded.message


def test_a_crashing_container_is_crash_loop_back_off_with_its_exit_code_and_restarts():
    container = {
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
        "restartCount": 3,
    }
    obs = observe(
        RUNNING,
        {m.STABLE: live_deployment(ready=0, available=0)},
        [pod(RUNNING, container=container)],
    )

    degraded = obs.conditions[ConditionType.DEGRADED]
    assert degraded.reason == Reason.CRASH_LOOP_BACK_OFF, degraded
    assert "exit code 1 (Error)" in degraded.message, degraded.message
    assert "restarted 3 times" in degraded.message, degraded.message


def test_a_container_killed_for_memory_is_oom_killed_with_its_limit():
    container = {
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
        "restartCount": 1,
    }
    obs = observe(
        RUNNING,
        {m.STABLE: live_deployment(ready=0, available=0)},
        [pod(RUNNING, container=container)],
    )

    degraded = obs.conditions[ConditionType.DEGRADED]
    assert degraded.reason == Reason.OOM_KILLED, degraded
    assert "memory limit of 1Gi" in degraded.message, degraded.message


def test_a_container_that_cannot_start_is_create_container_error():
    state = {
        "waiting": {"reason": "CreateContainerConfigError", "message": 'secret "s3" not found'}
    }
    failing = pod(RUNNING, phase="Pending", container={"state": state})

    problem = pod_problem(failing)

    assert problem is not None
    assert problem.reason == Reason.CREATE_CONTAINER_ERROR, problem
    assert 'secret "s3" not found' in problem.message


def test_a_never_ready_pod_is_not_ready_with_its_probe_warning_but_not_degraded():
    warning = "Readiness probe failed: HTTP probe failed with statuscode: 503"
    obs = observe(
        RUNNING,
        {m.STABLE: live_deployment(ready=0, available=0)},
        [pod(RUNNING)],
        {"chat-abc": warning},
    )

    assert obs.problem.reason == Reason.NOT_READY
    assert warning in obs.conditions[ConditionType.AVAILABLE].message
    # Not ready may still pass: only a deadline makes it a failure.
    assert condition(obs, ConditionType.DEGRADED) == (ConditionStatus.FALSE, Reason.AS_EXPECTED)


def test_a_rollout_past_its_deadline_is_degraded_and_settled():
    deadline = {
        "type": "Progressing",
        "status": "False",
        "reason": "ProgressDeadlineExceeded",
        "message": 'ReplicaSet "chat-1" has timed out progressing.',
    }
    obs = observe(
        RUNNING, {m.STABLE: live_deployment(ready=0, available=0, conditions=(deadline,))}
    )

    assert condition(obs, ConditionType.DEGRADED) == (
        ConditionStatus.TRUE,
        Reason.PROGRESS_DEADLINE_EXCEEDED,
    )
    assert "has timed out progressing" in obs.conditions[ConditionType.DEGRADED].message
    assert obs.deadline_exceeded
    assert obs.settled


def test_pods_that_cannot_be_created_are_failed_create():
    failure = {
        "type": "ReplicaFailure",
        "status": "True",
        "message": 'pods "chat-x" is forbidden: exceeded quota: gantry-quota',
    }
    obs = observe(
        RUNNING, {m.STABLE: live_deployment(ready=0, available=0, total=0, conditions=(failure,))}
    )

    assert obs.problem.reason == Reason.FAILED_CREATE
    assert "exceeded quota" in obs.conditions[ConditionType.DEGRADED].message


def test_the_worst_problem_wins_and_counts_alike_pods():
    crashing = {"state": {"waiting": {"reason": "CrashLoopBackOff"}}, "restartCount": 2}
    pending = {"status": "False", "reason": "Unschedulable", "message": "no GPUs"}
    pods = [
        pod(RUNNING, "chat-a", container=crashing),
        pod(RUNNING, "chat-b", phase="Pending", scheduled=pending),
        pod(RUNNING, "chat-c", phase="Pending", scheduled=pending),
    ]
    obs = observe(RUNNING, {m.STABLE: live_deployment(ready=0, available=0)}, pods)

    assert obs.problem.reason == Reason.UNSCHEDULABLE
    assert "(2 pods alike)" in obs.problem.message


def test_pods_of_an_older_template_do_not_speak_for_the_current_spec():
    crashing = {"state": {"waiting": {"reason": "CrashLoopBackOff"}}, "restartCount": 5}
    old = pod(RUNNING, container=crashing)
    old["metadata"]["labels"] = {**old["metadata"]["labels"], m.TEMPLATE_HASH: "older"}
    obs = observe(RUNNING, {m.STABLE: live_deployment(updated=0)}, [old])

    assert obs.problem is None


def test_a_canary_is_observed_as_its_own_track():
    spec = replace(CANARY, generation=3)
    crashing = {"state": {"waiting": {"reason": "CrashLoopBackOff"}}, "restartCount": 1}
    canary_pod = pod(spec, "chat-canary-x", track=m.CANARY, container=crashing)
    obs = observe(
        spec,
        {
            m.STABLE: live_deployment(3),
            m.CANARY: live_deployment(1, name="chat-canary", ready=0, available=0),
        },
        [canary_pod],
    )

    assert [t.track for t in obs.tracks] == [m.STABLE, m.CANARY]
    assert [t.name for t in obs.tracks] == ["chat", "chat-canary"]
    assert obs.problem.reason == Reason.CRASH_LOOP_BACK_OFF
    assert "canary replicas updated to v2" in obs.conditions[ConditionType.AVAILABLE].message


def test_a_stopped_deployment_is_stopped_and_settles_when_its_pods_are_gone():
    spec = replace(STOPPED, generation=3)
    going = observe(spec, {m.STABLE: live_deployment(0, total=1)})
    gone = observe(spec, {m.STABLE: live_deployment(0)})

    assert condition(going, ConditionType.PROGRESSING) == (
        ConditionStatus.TRUE,
        Reason.SCALING_DOWN,
    )
    assert condition(gone, ConditionType.AVAILABLE) == (ConditionStatus.FALSE, Reason.STOPPED)
    assert not going.complete
    assert gone.complete


# --- missing storage Secret and ServiceAccount ----------------------------------------


def test_an_init_container_missing_its_storage_secret_is_degraded_in_the_kubelets_words():
    failing = pod(RUNNING, phase="Pending", container={"state": {"waiting": {}}})
    failing["metadata"]["namespace"] = "dev-nlp"
    failing["status"]["initContainerStatuses"] = [
        {
            "name": "storage-initializer",
            "state": {
                "waiting": {
                    "reason": "CreateContainerConfigError",
                    "message": 'secret "s3-creds" not found',
                }
            },
        }
    ]

    obs = observe(RUNNING, {m.STABLE: live_deployment(ready=0, available=0)}, [failing])

    degraded = obs.conditions[ConditionType.DEGRADED]
    assert (degraded.status, degraded.reason) == ("True", Reason.CREATE_CONTAINER_ERROR)
    assert (
        "Init container storage-initializer of pod chat-abc cannot start: "
        'CreateContainerConfigError: secret "s3-creds" not found'
    ) in degraded.message
    assert "Create secret 's3-creds' in namespace dev-nlp" in degraded.message


def test_a_missing_service_account_is_failed_create_with_the_controllers_words():
    failure = {
        "type": "ReplicaFailure",
        "status": "True",
        "reason": "FailedCreate",
        "message": 'pods "chat-7d9f-" is forbidden: error looking up service account '
        'dev-nlp/model-reader: serviceaccount "model-reader" not found',
    }
    obs = observe(
        RUNNING, {m.STABLE: live_deployment(ready=0, available=0, total=0, conditions=(failure,))}
    )

    degraded = obs.conditions[ConditionType.DEGRADED]
    assert (degraded.status, degraded.reason) == ("True", Reason.FAILED_CREATE)
    assert 'serviceaccount "model-reader" not found' in degraded.message
