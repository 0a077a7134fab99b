"""Conditions: transition times move with the status, and transitions are what the audit
trail records."""

from datetime import UTC, datetime, timedelta

from apps.deployments import conditions
from apps.deployments.conditions import Status

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def start():
    merged, _ = conditions.merge(
        [],
        {"Available": Status("False", "RolloutInProgress", "0 of 2 available")},
        generation=1,
        now=T0,
    )
    return merged


def test_a_new_condition_is_a_transition_from_none():
    _, transitions = conditions.merge(
        [], {"Available": Status("True", "AllReplicasReady", "2 of 2")}, generation=1, now=T0
    )
    assert [(t.type, t.old_status, t.new.status) for t in transitions] == [
        ("Available", None, "True")
    ]


def test_a_new_message_alone_keeps_the_transition_time_and_is_no_transition():
    merged, transitions = conditions.merge(
        start(),
        {"Available": Status("False", "RolloutInProgress", "1 of 2 available")},
        generation=1,
        now=T1,
    )
    assert transitions == []
    assert merged[0]["last_transition_time"] == T0.isoformat()
    assert merged[0]["message"] == "1 of 2 available"


def test_a_new_reason_with_the_same_status_is_a_transition_keeping_the_time():
    merged, transitions = conditions.merge(
        start(),
        {"Available": Status("False", "CrashLoopBackOff", "keeps crashing")},
        generation=1,
        now=T1,
    )
    assert [(t.old_reason, t.new.reason) for t in transitions] == [
        ("RolloutInProgress", "CrashLoopBackOff")
    ]
    assert merged[0]["last_transition_time"] == T0.isoformat()


def test_a_new_status_moves_the_transition_time():
    merged, _ = conditions.merge(
        start(),
        {"Available": Status("True", "AllReplicasReady", "2 of 2")},
        generation=2,
        now=T1,
    )
    assert merged[0]["last_transition_time"] == T1.isoformat()
    assert merged[0]["observed_generation"] == 2


def test_conditions_come_in_a_fixed_order():
    merged, _ = conditions.merge(
        start(),
        {
            "Degraded": Status("False", "AsExpected", ""),
            "Synced": Status("True", "Applied", ""),
        },
        generation=1,
        now=T1,
    )
    assert [c["type"] for c in merged] == ["Synced", "Available", "Degraded"]


def test_a_transition_reads_as_one_line():
    _, (transition,) = conditions.merge(
        start(),
        {"Available": Status("True", "AllReplicasReady", "Serving: 2 of 2.")},
        generation=1,
        now=T1,
    )
    assert conditions.describe(transition) == (
        "Available: False -> True (AllReplicasReady): Serving: 2 of 2."
    )
