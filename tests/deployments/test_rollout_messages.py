"""Rollout messages read right at every stage: plain Deployment dicts in, conditions out."""

import re
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from apps.deployments import manifests as m
from apps.deployments.observe import observe
from tests.deployments.test_manifests import BASE, VLLM

V1 = VLLM
SPEC = replace(BASE, generation=2, replicas=1)


def live(*, desired: int, total: int, updated: int, available: int, seen: bool = True) -> dict:
    """A Kubernetes Deployment as the API server reports it during a rollout."""
    return {
        "metadata": {"name": "chat", "generation": 2},
        "spec": {"replicas": desired},
        "status": {
            "observedGeneration": 2 if seen else 1,
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": available,
            "availableReplicas": available,
        },
    }


def messages(spec: m.DeploymentSpec, **counts) -> tuple[str, str]:
    conditions = observe(spec, {"stable": live(**counts)}).conditions
    return conditions["Progressing"].message, conditions["Available"].message


def test_scaling_down_before_the_controller_acts_says_how_many_are_still_running():
    progressing, available = messages(SPEC, desired=1, total=3, updated=3, available=3, seen=False)
    assert progressing == (
        "Rolling out generation 2: scaling down to 1 replica of v1, 2 more still running."
    )
    assert "3 of 1" not in available


def test_scaling_down_while_pods_stop_counts_down():
    progressing, _ = messages(SPEC, desired=1, total=2, updated=2, available=2)
    assert progressing.endswith("scaling down to 1 replica of v1, 1 more still running.")


def test_a_finished_scale_down_is_serving_all_it_asked_for():
    progressing, available = messages(SPEC, desired=1, total=1, updated=1, available=1)
    assert progressing == "Generation 2 is rolled out."
    assert available == "Serving: 1 of 1 replicas of v1 available."


def test_scaling_down_to_a_new_version_names_the_old_pods_still_running():
    spec = replace(SPEC, replicas=2)
    progressing, _ = messages(spec, desired=2, total=4, updated=3, available=3)
    assert progressing.endswith(
        "scaling down to 2 replicas of v1, 2 more still running (1 of them the previous version)."
    )


def test_scaling_up_counts_up_to_the_replicas_asked_for():
    spec = replace(SPEC, replicas=3)
    progressing, _ = messages(spec, desired=3, total=1, updated=1, available=1)
    assert progressing.endswith("1 of 3 replicas updated to v1, 1 available.")


@given(
    desired=st.integers(0, 6),
    total=st.integers(0, 9),
    updated=st.integers(0, 9),
    available=st.integers(0, 9),
    seen=st.booleans(),
)
def test_no_stage_reads_more_of_a_count_than_the_count(desired, total, updated, available, seen):
    updated, available = min(updated, total), min(available, total)
    spec = replace(SPEC, replicas=desired)
    for message in messages(
        spec, desired=desired, total=total, updated=updated, available=available, seen=seen
    ):
        for part, whole in re.findall(r"(\d+) of (\d+)", message):
            assert int(part) <= int(whole), message
