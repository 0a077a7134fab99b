"""Conditions on a deployment record: pure merging, and what counts as a transition.

A condition is a dict {type, status, reason, message, last_transition_time,
observed_generation}, as Kubernetes keeps them. `last_transition_time` moves only
when the status changes; a transition (status or reason changed) is what the
audit trail records, while a message that only counts replicas is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apps.deployments.choices import ConditionType

ORDER = [
    ConditionType.SYNCED,
    ConditionType.AVAILABLE,
    ConditionType.PROGRESSING,
    ConditionType.DEGRADED,
]


@dataclass(frozen=True)
class Status:
    """What the reconciler says about one condition type."""

    status: str  # a ConditionStatus
    reason: str
    message: str


@dataclass(frozen=True)
class Transition:
    type: str
    old_status: str | None
    old_reason: str | None
    new: Status


def merge(
    current: list[dict[str, Any]],
    updates: dict[str, Status],
    *,
    generation: int,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[Transition]]:
    """The conditions after `updates`, and the transitions among them."""
    by_type = {c.get("type"): c for c in current}
    transitions = []
    for type_, new in updates.items():
        old = by_type.get(type_)
        changed_status = old is None or old.get("status") != new.status
        if old is None or changed_status or old.get("reason") != new.reason:
            transitions.append(
                Transition(
                    type=type_,
                    old_status=old.get("status") if old else None,
                    old_reason=old.get("reason") if old else None,
                    new=new,
                )
            )
        by_type[type_] = {
            "type": type_,
            "status": new.status,
            "reason": new.reason,
            "message": new.message,
            "last_transition_time": (
                now.isoformat() if changed_status else old.get("last_transition_time")
            ),
            "observed_generation": generation,
        }
    ordered = [by_type[t] for t in ORDER if t in by_type]
    ordered += [c for t, c in by_type.items() if t not in ORDER]
    return ordered, transitions


def get(conditions: list[dict[str, Any]], type_: str) -> dict[str, Any] | None:
    return next((c for c in conditions if c.get("type") == type_), None)


def describe(transition: Transition) -> str:
    """One line for the audit trail, e.g. 'Available: True -> False (CrashLoopBackOff): ...'."""
    before = transition.old_status or "none"
    return (
        f"{transition.type}: {before} -> {transition.new.status} "
        f"({transition.new.reason}): {transition.new.message}"
    )
