"""Whether a rollout past its deadline should go back to the last revision that became
Available. The reconciler only decides; the task carries it out through the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.deployments.choices import ConditionType, State
from apps.deployments.models import Deployment, Revision
from apps.deployments.observe import Observation


@dataclass(frozen=True)
class Rollback:
    """Roll `generation` back to `revision`, for the reason `why`."""

    revision: int
    generation: int
    why: str


def rollback_wanted(record: Deployment, obs: Observation) -> Rollback | None:
    """A rollback to the last revision that became Available, or None."""
    target = record.last_available_revision
    if (
        not obs.deadline_exceeded
        or not record.auto_rollback
        or record.state != State.RUNNING
        or record.observed_generation != record.generation
        or not target
        or target >= record.generation
    ):
        return None
    revision = Revision.objects.filter(deployment=record, number=target).first()
    if revision is None or _same_spec(revision.spec, record.spec()):
        return None
    degraded = obs.conditions.get(ConditionType.DEGRADED)
    why = degraded.message if degraded else "the rollout made no progress"
    return Rollback(revision=target, generation=record.generation, why=why)


def _same_spec(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def without_state(spec: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in spec.items() if k != "state"}

    return without_state(a) == without_state(b)
