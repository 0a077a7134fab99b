"""The deployment page's sentences: the header's reason, log text, a revision diff."""

from apps.deployments import pods
from apps.deployments.pages import words

AVAILABLE = {"type": "Available", "status": "True", "reason": "AllReplicasReady", "message": ""}


def _not_available(reason: str, message: str = "") -> dict:
    return {"type": "Available", "status": "False", "reason": reason, "message": message}


def _degraded(reason: str, message: str) -> dict:
    return {"type": "Degraded", "status": "True", "reason": reason, "message": message}


CRASH_MESSAGE = (
    "Container server of pod chat-5d8f-abcde keeps crashing: it exited with exit code 1 "
    "(Error) and has restarted 3 times; see its logs."
)
CRASH_POD = {
    "name": "chat-5d8f-abcde",
    "reason": "CrashLoopBackOff",
    "restarts": 3,
    "containers": ["server"],
    "last_termination": {"reason": "Error", "exit_code": 1, "finished_at": None},
}


def test_an_available_deployment_has_a_green_badge_and_no_words():
    line = words.headline("running", [AVAILABLE])
    assert (line.badge, line.tone, line.words, line.log) == ("Available", "ok", "", None)


def test_a_crash_loop_names_container_exit_code_restarts_and_links_the_previous_log():
    conditions = [
        _not_available("CrashLoopBackOff", CRASH_MESSAGE),
        _degraded("CrashLoopBackOff", CRASH_MESSAGE),
    ]
    line = words.headline("running", conditions, [CRASH_POD])
    assert line.words == "Crash loop: container server exited with code 1 (3 restarts)"
    assert line.log == words.LogLink("chat-5d8f-abcde", "server", previous=True)
    assert line.log_label == "see previous logs"


def test_a_crash_loop_is_named_from_the_conditions_when_the_pods_cannot_be_read():
    conditions = [_degraded("CrashLoopBackOff", CRASH_MESSAGE)]
    line = words.headline("running", conditions, None)
    assert line.words == "Crash loop: container server exited with code 1 (3 restarts)"
    assert line.log == words.LogLink("chat-5d8f-abcde", "server", previous=True)


def test_a_stuck_rollout_names_the_crash_that_stuck_it():
    message = f"The rollout of generation 4 made no progress for 600 s: {CRASH_MESSAGE}"
    line = words.headline("running", [_degraded("ProgressDeadlineExceeded", message)], [CRASH_POD])
    assert line.words.startswith("Rollout stuck. Crash loop: container server exited with code 1")


def test_waiting_for_gpus_counts_the_nodes_from_the_schedulers_words():
    message = (
        "Pod chat-1 cannot be scheduled: 0/3 nodes are available: 3 Insufficient "
        "nvidia.com/gpu. preemption: 0/3 nodes are available."
    )
    line = words.headline(
        "running", [_degraded("Unschedulable", message)], gpu_count=8, gpu_resource="nvidia.com/gpu"
    )
    assert line.words == "Waiting for GPUs: 0 of 3 nodes have 8 free nvidia.com/gpu"
    assert (line.badge, line.tone) == ("Degraded", "bad")


def test_unschedulable_for_another_reason_says_the_schedulers_words():
    message = "Pod chat-1 cannot be scheduled: 0/3 nodes are available: 3 node(s) had taints."
    line = words.headline("running", [_degraded("Unschedulable", message)], gpu_count=0)
    assert line.words == "Cannot be scheduled: 0/3 nodes are available: 3 node(s) had taints."


def test_an_out_of_memory_kill_names_the_container_and_links_the_previous_log():
    message = "Container server of pod chat-1 ran out of memory and was killed (OOMKilled, ..."
    pod = {**CRASH_POD, "name": "chat-1", "reason": "OOMKilled", "restarts": 1}
    line = words.headline("running", [_degraded("OOMKilled", message)], [pod])
    assert line.words == "Out of memory: container server was killed (exit code 137, 1 restart)"
    assert line.log.previous


def test_a_rollout_in_progress_says_how_far_it_got():
    conditions = [
        _not_available("RolloutInProgress"),
        {
            "type": "Progressing",
            "status": "True",
            "reason": "RolloutInProgress",
            "message": "Rolling out generation 2: 1 of 3 replicas updated to v2, 1 available.",
        },
    ]
    line = words.headline("running", conditions)
    assert (line.badge, line.tone) == ("Progressing", "busy")
    assert line.words == "Rolling out: generation 2: 1 of 3 replicas updated to v2, 1 available."


def test_an_unreachable_cluster_is_said_before_anything_else():
    conditions = [
        {
            "type": "Synced",
            "status": "False",
            "reason": "ClusterUnreachable",
            "message": "No route.",
        },
        AVAILABLE,
    ]
    line = words.headline("running", conditions)
    assert (line.badge, line.words) == ("Unknown", "Cluster unreachable: No route.")


def test_stopped_deleting_and_never_reconciled_deployments():
    assert words.headline("stopped", [AVAILABLE]).badge == "Stopped"
    assert words.headline("deleting", [AVAILABLE]).badge == "Deleting"
    assert words.headline("running", []).words == "Waiting for the first reconcile."


def test_log_text_loses_terminal_escapes_and_controls_but_keeps_tabs_and_lines():
    text = "\x1b[31mERROR\x1b[0m\tboom\r\n\x1b]0;title\x07next\x08 line\n"
    assert words.strip_terminal(text) == "ERROR\tboom\nnext line\n"


SPEC = {
    "model_version": 1,
    "replicas": 1,
    "min_replicas": None,
    "max_replicas": None,
    "gpu_count": 1,
    "canary_version": None,
    "canary_weight": 0,
    "auto_rollback": True,
    "state": "running",
}


def test_a_diff_puts_every_field_side_by_side_in_words():
    after = {**SPEC, "replicas": 3, "canary_version": 2, "canary_weight": 20}
    rows = {d.field: d for d in words.spec_diff(SPEC, after, {1: "v1", 2: "v2"})}
    assert (rows["replicas"].left, rows["replicas"].right, rows["replicas"].changed) == (
        "1",
        "3",
        True,
    )
    assert (rows["canary_version"].left, rows["canary_version"].right) == ("none", "v2")
    assert rows["canary_weight"].right == "20%"
    assert (rows["auto_rollback"].left, rows["auto_rollback"].changed) == ("on", False)


def test_what_changed_lists_only_the_changes_and_names_deleted_versions():
    after = {**SPEC, "model_version": 9, "gpu_count": 2}
    assert words.changes_in_words(SPEC, after, {1: "v1"}) == (
        "version v1 → #9 (deleted), GPUs 1 → 2"
    )
    assert words.changes_in_words(None, SPEC, {}) == "created"
    assert words.changes_in_words(SPEC, dict(SPEC), {}) == "no spec change"


def _event(kind: str, name: str, reason: str, when: str, **extra) -> dict:
    return {
        "involvedObject": {"kind": kind, "name": name},
        "reason": reason,
        "message": f"{reason} happened",
        "type": extra.get("type", "Normal"),
        "lastTimestamp": when,
        "source": {"component": extra.get("component", "kubelet")},
        "count": extra.get("count", 1),
    }


def test_kubernetes_events_of_the_deployment_only_newest_first():
    events = [
        _event("Pod", "chat-7d9f8c6b5-x4k2p", "Pulled", "2026-01-01T00:00:02Z"),
        _event("Pod", "chat-canary-6c5b4a3d2-abcde", "BackOff", "2026-01-01T00:00:03Z"),
        _event("ReplicaSet", "chat-7d9f8c6b5", "SuccessfulCreate", "2026-01-01T00:00:01Z"),
        _event("Deployment", "chat", "ScalingReplicaSet", "2026-01-01T00:00:00Z"),
        # Another deployment whose name starts the same, and another kind of object.
        _event("Pod", "chat-v2-7d9f8c6b5-x4k2p", "Pulled", "2026-01-01T00:00:04Z"),
        _event("Pod", "chatbot-7d9f8c6b5-x4k2p", "Pulled", "2026-01-01T00:00:04Z"),
        _event("ConfigMap", "chat", "Changed", "2026-01-01T00:00:04Z"),
    ]
    rows = pods.event_rows(events, "chat")
    assert [r["reason"] for r in rows] == [
        "BackOff",
        "Pulled",
        "SuccessfulCreate",
        "ScalingReplicaSet",
    ]
    assert rows[0]["object"] == "Pod/chat-canary-6c5b4a3d2-abcde"
    assert rows[0]["component"] == "kubelet"
