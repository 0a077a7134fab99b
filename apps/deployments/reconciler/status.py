"""Writing what the cluster says back to the record: conditions, replica counts, and
one audit Event per transition.

Records are written with guarded `update()`s that neither bump `generation` nor
make Revisions, and a run that applied an older generation never overwrites what a
newer one wrote.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.clusters import kube
from apps.deployments import conditions, manifests
from apps.deployments.choices import ConditionStatus, ConditionType, EventSource, Reason
from apps.deployments.conditions import Status, Transition
from apps.deployments.models import Deployment, Event
from apps.deployments.observe import Observation
from apps.deployments.reconciler.specs import spec_of

# Kubernetes' own reasons for a refused write, kept as the Synced reason.
PERMANENT_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    410: "Gone",
    413: "TooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
}


def write_status(
    record: Deployment,
    spec: manifests.DeploymentSpec,
    updates: dict[str, Status],
    *,
    obs: Observation | None = None,
    applied_keys: list[str] | None = None,
    error: str = "",
    notes: list[str] | None = None,
) -> bool:
    """Write status and one audit Event per transition; False when a newer run got there."""
    now = timezone.now()
    merged, transitions = conditions.merge(
        record.conditions, updates, generation=spec.generation, now=now
    )
    fields = _status_fields(record, spec, obs, applied_keys)
    fields.update(conditions=merged, last_error=error, last_synced_at=now)
    if applied_keys is None and not notes and _unchanged(record, fields):
        return True  # a status check that found nothing new writes nothing
    events = _events(record, transitions, notes or [])
    with transaction.atomic():
        # The guard: a run that applied an older generation never overwrites a newer one.
        written = Deployment.objects.filter(
            pk=record.pk, observed_generation__lte=spec.generation
        ).update(**fields)
        if written and events:
            Event.objects.bulk_create(events)
    if written:
        for name, value in fields.items():
            setattr(record, name, value)
    return bool(written)


def _status_fields(
    record: Deployment,
    spec: manifests.DeploymentSpec,
    obs: Observation | None,
    applied_keys: list[str] | None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if obs is not None:
        fields.update(
            ready_replicas=obs.ready,
            updated_replicas=obs.updated,
            available_replicas=obs.available,
            status_digest=obs.digest,
        )
        if obs.complete and spec.is_running and record.observed_generation == spec.generation:
            fields["last_available_revision"] = spec.generation
    if applied_keys is not None:
        fields.update(observed_generation=spec.generation, applied_objects=applied_keys)
        if obs is not None and obs.complete and spec.is_running:
            fields["last_available_revision"] = spec.generation
    return fields


def _unchanged(record: Deployment, fields: dict[str, Any]) -> bool:
    return all(
        getattr(record, name) == value for name, value in fields.items() if name != "last_synced_at"
    )


def _events(record: Deployment, transitions: list[Transition], notes: list[str]) -> list[Event]:
    def event(source: str, verb: str, message: str) -> Event:
        return Event(
            team_id=record.team_id,
            deployment_id=record.pk,
            source=source,
            verb=verb,
            target=record.audit_target,
            message=message,
        )

    return [
        event(EventSource.CLUSTER, "condition", conditions.describe(t)) for t in transitions
    ] + [event(EventSource.GANTRY, "correct-drift", note) for note in notes]


def mark_unreachable(record: Deployment, error: kube.KubeError) -> None:
    """The cluster did not answer: say so, keep everything else as last seen."""
    available = conditions.get(record.conditions, ConditionType.AVAILABLE)
    last_seen = f" Last seen: {available['message']}" if available else ""
    write_status(
        record,
        spec_of(record),
        {
            ConditionType.SYNCED: Status(
                ConditionStatus.FALSE,
                Reason.UNREACHABLE,
                f"{error.message} Gantry keeps trying; nothing is lost.",
            ),
            ConditionType.AVAILABLE: Status(
                ConditionStatus.UNKNOWN,
                Reason.UNREACHABLE,
                f"Unknown while the cluster cannot be reached.{last_seen}",
            ),
        },
        error=error.message,
    )


def mark_retrying(record: Deployment, error: kube.KubeError) -> None:
    message = f"The API server answered {error.status}: {error.message}"
    write_status(
        record,
        spec_of(record),
        {ConditionType.SYNCED: Status(ConditionStatus.FALSE, Reason.APPLY_RETRYING, message)},
        error=error.message,
    )


def mark_refused(
    record: Deployment, spec: manifests.DeploymentSpec, reason: str, message: str
) -> None:
    write_status(
        record,
        spec,
        {
            ConditionType.SYNCED: Status(ConditionStatus.FALSE, reason, message),
            ConditionType.DEGRADED: Status(ConditionStatus.TRUE, reason, message),
        },
        error=message,
    )


def permanent_reason(error: kube.KubeError) -> str:
    """The Synced reason for an error that trying again cannot fix."""
    return PERMANENT_REASONS.get(error.status or 0, Reason.APPLY_FAILED)


def is_refused_for_good(record: Deployment) -> bool:
    """The current generation was refused by the cluster: retrying cannot help."""
    synced = conditions.get(record.conditions, ConditionType.SYNCED)
    return bool(
        synced
        and synced.get("status") == ConditionStatus.FALSE
        and synced.get("reason") in {*PERMANENT_REASONS.values(), Reason.FIELD_CONFLICT}
        and synced.get("observed_generation") == record.generation
    )


def is_synced(record: Deployment) -> bool:
    """The last apply succeeded (or none was tried yet)."""
    synced = conditions.get(record.conditions, ConditionType.SYNCED)
    return synced is None or synced.get("status") == ConditionStatus.TRUE
