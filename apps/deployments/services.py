"""The only writers of deployments: each change is validated, versioned and audited.

Every spec change bumps `generation` and records a Revision (numbered by the
generation it produced) and an audit Event, all in one transaction. Later
layers hook in here: quota admission before the write, and the reconcile
trigger after commit.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import Team
from apps.clusters.models import Environment
from apps.core import audit
from apps.core.lib.servicekit import reject_unknown_fields, user_or_none
from apps.deployments.choices import State
from apps.deployments.models import SPEC_FIELDS, Deployment, Revision
from apps.registry.models import ModelVersion

CREATE_FIELDS = tuple(f for f in SPEC_FIELDS if f not in ("model_version", "state"))


def create_deployment(
    *,
    actor: Any,
    team: Team,
    environment: Environment,
    name: str,
    model_version: ModelVersion,
    **spec: Any,
) -> Deployment:
    """Create a deployment with its first Revision; it starts in state `running`."""
    reject_unknown_fields(spec, CREATE_FIELDS)
    deployment = Deployment(
        team=team,
        environment=environment,
        name=name,
        model_version=model_version,
        created_by=user_or_none(actor),
        **spec,
    )
    deployment.full_clean()
    with transaction.atomic():
        deployment.save()
        _record_revision(deployment, actor, reason="created")
        audit.record(
            actor=actor,
            verb="create",
            target=_target(deployment),
            message=f"Created with {deployment.model_version}.",
            team=team,
            deployment=deployment,
        )
    return deployment


def update_deployment(
    deployment: Deployment, *, actor: Any, reason: str = "", **changes: Any
) -> Deployment:
    """Apply spec changes; a change that alters nothing writes nothing."""
    reject_unknown_fields(changes, SPEC_FIELDS)
    with transaction.atomic():
        # The row lock orders concurrent changes, so generations never collide.
        locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
        if locked.state == State.DELETING:
            raise ValidationError(
                {"state": f"Deployment {locked.name} is being deleted and cannot change."}
            )
        changed = {k: v for k, v in changes.items() if _differs(locked, k, v)}
        if not changed:
            return locked
        for name, value in changed.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.generation += 1
        locked.save()
        summary = reason or f"changed {', '.join(sorted(changed))}"
        _record_revision(locked, actor, reason=summary)
        audit.record(
            actor=actor,
            verb="update",
            target=_target(locked),
            message=f"Generation {locked.generation}: {summary}.",
            team=locked.team,
            deployment=locked,
        )
    return locked


def _record_revision(deployment: Deployment, actor: Any, reason: str) -> Revision:
    return Revision.objects.create(
        deployment=deployment,
        number=deployment.generation,
        spec=deployment.spec(),
        reason=reason[:200],
        created_by=user_or_none(actor),
    )


def _differs(deployment: Deployment, field: str, value: Any) -> bool:
    if field in ("model_version", "canary_version"):
        current = getattr(deployment, f"{field}_id")
        return current != (value.pk if isinstance(value, ModelVersion) else value)
    return getattr(deployment, field) != value


def _target(deployment: Deployment) -> str:
    return f"deployment/{deployment.environment.name}/{deployment.name}"
