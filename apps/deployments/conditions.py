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

from apps.deployments.choices import ConditionType, Reason

ORDER = [
    ConditionType.SYNCED,
    ConditionType.AVAILABLE,
    ConditionType.PROGRESSING,
    ConditionType.DEGRADED,
    ConditionType.EXPOSED,
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


@dataclass(frozen=True)
class Badge:
    """How a list shows a deployment's state: a word, a tone, and the reason in words.

    `tone` picks the colour *and* the symbol (ok, busy, warn, bad, off), so the
    state never rests on colour alone.
    """

    label: str
    tone: str
    reason: str


def reason_text(reason: str) -> str:
    """A condition reason as people read it: 'CrashLoopBackOff' -> 'Crash loop'."""
    try:
        return Reason(reason).label
    except ValueError:
        # A reason Gantry does not know (the cluster's own): split its CamelCase.
        words = "".join(f" {ch}" if ch.isupper() else ch for ch in reason).strip()
        return words[:1].upper() + words[1:].lower()


def badge(state: str, conditions: list[dict[str, Any]]) -> Badge:
    """The one state a list row shows, worst first, from the user's state and conditions."""
    if state == "deleting":
        return Badge("Deleting", "off", "Removing its objects from the cluster")
    if state == "stopped":
        return Badge("Stopped", "off", "Scaled to zero")
    by_type = {c.get("type"): c for c in conditions}
    if not by_type:
        return Badge("Pending", "busy", "Waiting for its first sync")

    def why(condition: dict[str, Any]) -> str:
        return reason_text(condition.get("reason") or "")

    for type_, label, tone in (
        (ConditionType.DEGRADED, "Degraded", "bad"),
        (ConditionType.SYNCED, "Not synced", "bad"),
    ):
        condition = by_type.get(type_)
        wanted = "False" if type_ == ConditionType.SYNCED else "True"
        if condition and condition.get("status") == wanted:
            return Badge(label, tone, why(condition))
    progressing = by_type.get(ConditionType.PROGRESSING)
    if progressing and progressing.get("status") == "True":
        return Badge("Progressing", "busy", why(progressing))
    available = by_type.get(ConditionType.AVAILABLE)
    if available and available.get("status") == "True":
        return Badge("Available", "ok", why(available))
    if available:
        return Badge("Unavailable", "warn", why(available))
    return Badge("Pending", "busy", "Waiting for the cluster's status")
