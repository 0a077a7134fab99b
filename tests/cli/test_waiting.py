"""Whether a deployment has reached what `wait --for` asks, and why not."""

import pytest

from gantry_cli.errors import GantryError
from gantry_cli.waiting import judge, parse_duration


def deployment(*conditions, generation=2, observed=2, state="running", last_error=""):
    return {
        "name": "chat",
        "state": state,
        "status": {
            "generation": generation,
            "observed_generation": observed,
            "last_error": last_error,
            "conditions": [
                {"type": t, "status": s, "reason": r, "message": m, "observed_generation": g}
                for t, s, r, m, g in conditions
            ],
        },
    }


def test_available_needs_the_current_generation():
    stale = deployment(("Available", "True", "AllReplicasReady", "Serving.", 1))
    fresh = deployment(("Available", "True", "AllReplicasReady", "Serving.", 2))

    assert not judge(stale, "available").done
    assert judge(fresh, "available").done


def test_not_yet_available_says_the_reason_and_message():
    waiting = deployment(
        ("Available", "False", "Unschedulable", "0/3 nodes are available: Insufficient GPU.", 2)
    )

    verdict = judge(waiting, "available")

    assert not verdict.done
    assert not verdict.failed
    assert verdict.reason == "Unschedulable: 0/3 nodes are available: Insufficient GPU."


def test_an_unapplied_generation_says_the_reconciler_is_behind_and_why():
    verdict = judge(deployment(observed=1, last_error="cluster unreachable"), "available")

    assert verdict.reason == "Waiting for the reconciler to apply generation 2: cluster unreachable"


def test_a_deleting_deployment_will_never_be_available():
    assert judge(deployment(state="deleting"), "available").failed


def test_degraded_is_reached_on_its_condition():
    crashing = deployment(("Degraded", "True", "CrashLoopBackOff", "Back-off restarting.", 2))

    assert judge(crashing, "degraded").done
    assert judge(crashing, "degraded").reason == "CrashLoopBackOff: Back-off restarting."


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("10m", 600), ("1h30m", 5400)]
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "10 minutes", "m"])
def test_a_bad_duration_is_a_usage_error_with_an_example(text):
    with pytest.raises(GantryError, match=r"write e\.g\. 90s, 10m or 1h30m") as caught:
        parse_duration(text)
    assert caught.value.code == 2
