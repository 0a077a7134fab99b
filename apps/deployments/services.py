"""The only writers of deployments: each change is validated, admitted, versioned and audited.

Every spec change goes through `create_deployment` or `update_deployment`:
it checks the actor's role, validates, passes quota admission (which locks the
team's quota row), bumps `generation`, and records a Revision (numbered by the
generation it produced) and an audit Event, all in one transaction. The verbs
below (scale, stop, start, rollback, canary, promote, abort, delete) are each
one call of `update_deployment`, so the reconcile trigger after commit lives
in these two functions only.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from apps.accounts.access import require_role
from apps.accounts.choices import Role
from apps.accounts.models import Team
from apps.clusters.models import Environment
from apps.core import audit
from apps.core.lib.servicekit import reject_unknown_fields, user_or_none
from apps.deployments import queue
from apps.deployments.choices import State
from apps.deployments.models import SPEC_FIELDS, Deployment, Revision
from apps.deployments.sizing import demand_of
from apps.quotas import services as quotas
from apps.quotas import usage
from apps.registry.models import ModelVersion

CREATE_FIELDS = tuple(f for f in SPEC_FIELDS if f not in ("model_version", "state"))
# The fields whose values sizing reads, for loading a team's deployments cheaply.
SIZING_FIELDS = (
    "state",
    "replicas",
    "min_replicas",
    "max_replicas",
    "cpu",
    "memory",
    "gpu_count",
    "gpu_model",
    "mig_profile",
    "canary_weight",
    "canary_version_id",
)


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
    require_role(actor, team, Role.DEPLOYER, doing="create deployments")
    reject_unknown_fields(spec, CREATE_FIELDS)
    deployment = Deployment(
        team=team,
        environment=environment,
        name=name,
        model_version=model_version,
        created_by=user_or_none(actor),
        **spec,
    )
    if Deployment.objects.filter(environment=environment, name=name).exists():
        raise _name_taken(deployment)
    _validate(deployment)
    try:
        with transaction.atomic():
            quotas.admit(
                team=team, deployment_id=None, before=usage.NOTHING, after=demand_of(deployment)
            )
            deployment.save()
            _record_revision(deployment, actor, reason="created")
            audit.record(
                actor=actor,
                verb="create",
                target=deployment.audit_target,
                message=f"Created with {deployment.model_version}.",
                team=team,
                deployment=deployment,
            )
            queue.reconcile_after_commit(deployment.pk)
    except IntegrityError:
        # The name was free when checked above, but a concurrent create may have taken it
        # since: the whole transaction is gone, so nothing is half-written. (Catching it
        # here rather than around the INSERT spares a savepoint's two round trips.)
        deployment.pk = None
        if Deployment.objects.filter(environment=environment, name=name).exists():
            raise _name_taken(deployment) from None
        raise
    return deployment


def update_deployment(
    deployment: Deployment, *, actor: Any, reason: str = "", **changes: Any
) -> Deployment:
    """Apply spec changes; a change that alters nothing writes nothing.

    `actor=None` is Gantry itself (e.g. the reconciler's automatic rollback).
    """
    require_role(actor, deployment.team, Role.DEPLOYER, doing="change deployments")
    reject_unknown_fields(changes, SPEC_FIELDS)
    with transaction.atomic():
        # The row lock orders concurrent changes, so generations never collide.
        # Lock order is always deployment, then quota (in admit), so no deadlock.
        locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
        if locked.state == State.DELETING:
            raise ValidationError(
                {"state": f"Deployment {locked.name} is being deleted and cannot change."}
            )
        changed = {k: v for k, v in changes.items() if _differs(locked, k, v)}
        if not changed:
            return locked
        before = demand_of(locked)
        changes_text = describe_changes(locked, changed)
        for name, value in changed.items():
            setattr(locked, name, value)
        _validate(locked)
        if locked.state != State.DELETING:  # deleting never adds pods
            quotas.admit(
                team=locked.team, deployment_id=locked.pk, before=before, after=demand_of(locked)
            )
        locked.generation += 1
        locked.save()
        _record_revision(locked, actor, reason=reason or changes_text)
        summary = f"{reason} ({changes_text})" if reason else changes_text
        audit.record(
            actor=actor,
            verb="update",
            target=locked.audit_target,
            message=f"Generation {locked.generation}: {summary}.",
            team=locked.team,
            deployment=locked,
        )
        queue.reconcile_after_commit(locked.pk)
    return locked


def scale(
    deployment: Deployment,
    *,
    actor: Any,
    replicas: int | None = None,
    min_replicas: int | None = None,
    max_replicas: int | None = None,
    autoscaling_target: int | None = None,
) -> Deployment:
    """A fixed replica count, or autoscaling between min_replicas and max_replicas."""
    fixed = replicas is not None
    bounds = min_replicas is not None or max_replicas is not None
    if fixed == bounds:
        raise ValidationError(
            {
                "replicas": "Give either replicas (e.g. 3) for a fixed count, or min_replicas "
                "and max_replicas (e.g. 1 and 4) to autoscale; not both, not neither."
            }
        )
    if fixed:
        return update_deployment(
            deployment,
            actor=actor,
            reason=f"scaled to {replicas} replicas",
            replicas=replicas,
            min_replicas=None,
            max_replicas=None,
        )
    changes: dict[str, Any] = {"min_replicas": min_replicas, "max_replicas": max_replicas}
    if autoscaling_target is not None:
        changes["autoscaling_target"] = autoscaling_target
    return update_deployment(
        deployment,
        actor=actor,
        reason=f"autoscaling {min_replicas} to {max_replicas} replicas",
        **changes,
    )


def stop(deployment: Deployment, *, actor: Any) -> Deployment:
    """Scale to nothing and hold no quota; the spec is kept for `start`."""
    return update_deployment(deployment, actor=actor, reason="stopped", state=State.STOPPED)


def start(deployment: Deployment, *, actor: Any) -> Deployment:
    """Run the kept spec again; admission checks it, as it holds quota once more."""
    return update_deployment(deployment, actor=actor, reason="started", state=State.RUNNING)


def rollback(deployment: Deployment, revision_number: int, *, actor: Any) -> Deployment:
    """Make the spec what it was at `revision_number`, as a new revision.

    Whether the deployment runs or is stopped is left as it is: a rollback
    changes what runs, not whether. The reconciler's automatic rollback calls
    this with `actor=None`.
    """
    revision = Revision.objects.filter(deployment=deployment, number=revision_number).first()
    if revision is None:
        raise ValidationError(
            {
                "revision": f"Deployment {deployment.name} has no revision {revision_number}; "
                f"its revisions are numbered 1 to {deployment.generation}."
            }
        )
    spec = {k: v for k, v in revision.spec.items() if k in SPEC_FIELDS and k != "state"}
    for field in ("model_version", "canary_version"):
        if spec.get(field) is not None:
            spec[field] = ModelVersion.objects.filter(pk=spec[field]).first()
            if spec[field] is None:  # deleted since, which only an unused version can be
                raise ValidationError(
                    {
                        "revision": f"Revision {revision_number} ran a model version that "
                        "has since been deleted; roll back to a later revision instead."
                    }
                )
    return update_deployment(
        deployment, actor=actor, reason=f"rolled back to revision {revision_number}", **spec
    )


def auto_rollback(deployment_id: int, *, revision: int, generation: int, why: str) -> bool:
    """Gantry's own rollback of a rollout past its deadline, audited with the reason.

    The reconciler decided it after seeing `generation` fail; a spec changed since
    then is newer than that decision and wins, so nothing happens. A rollback the
    rules refuse (the quota no longer admits the old spec) is audited instead.
    """
    with transaction.atomic():
        current = (
            Deployment.objects.select_for_update()
            .select_related("team", "environment")
            .filter(pk=deployment_id, generation=generation, state=State.RUNNING)
            .first()
        )
        if current is None:
            return False
        try:
            with transaction.atomic():
                rollback(current, revision, actor=None)
        except ValidationError as exc:
            verb = "auto-rollback-refused"
            message = f"Could not roll back to revision {revision}: {'; '.join(exc.messages)}"
        else:
            verb = "auto-rollback"
            message = (
                f"Rolled back generation {generation} to revision {revision}, the last that "
                f"became Available. Why: {why}"
            )
        audit.record(
            actor=None,
            verb=verb,
            target=current.audit_target,
            message=message,
            team=current.team,
            deployment=current,
        )
    return verb == "auto-rollback"


def set_canary(
    deployment: Deployment, *, actor: Any, version: ModelVersion, weight: int
) -> Deployment:
    """Send `weight` percent of traffic (and of replicas) to `version`."""
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
        raise ValidationError(
            {"weight": f"The canary weight is a percent from 0 to 100, e.g. 10; got {weight!r}."}
        )
    return update_deployment(
        deployment,
        actor=actor,
        reason=f"canary {version.version} at {weight}%",
        canary_version=version,
        canary_weight=weight,
    )


def promote(deployment: Deployment, *, actor: Any) -> Deployment:
    """The canary version becomes the stable version, and the canary ends."""
    with transaction.atomic():
        current = _lock(deployment)
        canary = _require_canary(current, "promote")
        return update_deployment(
            current,
            actor=actor,
            reason=f"promoted canary {canary.version}",
            model_version=canary,
            canary_version=None,
            canary_weight=0,
        )


def abort(deployment: Deployment, *, actor: Any) -> Deployment:
    """End the canary; all traffic goes back to the stable version."""
    with transaction.atomic():
        current = _lock(deployment)
        canary = _require_canary(current, "abort")
        return update_deployment(
            current,
            actor=actor,
            reason=f"aborted canary {canary.version}",
            canary_version=None,
            canary_weight=0,
        )


def request_delete(deployment: Deployment, *, actor: Any) -> Deployment:
    """Mark for deletion: the reconciler removes the cluster objects, then the record.

    Asking twice is harmless; the second request changes nothing.
    """
    with transaction.atomic():
        current = _lock(deployment)
        if current.state == State.DELETING:
            require_role(actor, current.team, Role.DEPLOYER, doing="delete deployments")
            return current
        return update_deployment(
            current, actor=actor, reason="deletion requested", state=State.DELETING
        )


def deletion_requested_by(deployment: Deployment) -> Any:
    """Who asked for the deletion of a deployment in state `deleting` (None: Gantry itself).

    Nothing changes a deployment once it is being deleted, so its latest revision
    is the request, and the reconciler names this user in the final 'delete' event.
    """
    revision = (
        Revision.objects.filter(deployment_id=deployment.pk, number=deployment.generation)
        .select_related("created_by")
        .first()
    )
    return revision.created_by if revision else None


def describe_changes(deployment: Deployment, changes: dict[str, Any]) -> str:
    """The changes in words, in spec order: 'model version v1 → v2, replicas 3 → 1'."""
    return ", ".join(
        f"{name.replace('_', ' ')} {_shown(name, getattr(deployment, name))} → "
        f"{_shown(name, changes[name])}"
        for name in SPEC_FIELDS
        if name in changes
    )


def _shown(name: str, value: Any) -> str:
    if name in ("model_version", "canary_version") and isinstance(value, int):
        value = ModelVersion.objects.filter(pk=value).first() or value
    if isinstance(value, ModelVersion):
        return value.version
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def team_holdings(team: Team, excluding: int | None = None) -> list[usage.Holding]:
    """What each of `team`'s deployments holds (registered with quotas at start)."""
    rows = Deployment.objects.filter(team=team)
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return _holdings(rows).get(team.pk, [])


def holdings_by_team() -> dict[int, list[usage.Holding]]:
    """What each deployment of every team holds, by team id, in one query (the platform
    quota overview's); teams holding nothing are absent."""
    return _holdings(Deployment.objects.all())


def _holdings(rows: QuerySet[Deployment]) -> dict[int, list[usage.Holding]]:
    # A stopped deployment runs no pods, so it holds nothing against its quota.
    held: dict[int, list[usage.Holding]] = {}
    for row in rows.exclude(state=State.STOPPED).only("team_id", "name", *SIZING_FIELDS):
        held.setdefault(row.team_id, []).append(usage.Holding(row.pk, row.name, demand_of(row)))
    return held


def _lock(deployment: Deployment) -> Deployment:
    # Verbs that decide on the current state read it under the row lock that
    # update_deployment takes again (re-locking in one transaction is free).
    return Deployment.objects.select_for_update().get(pk=deployment.pk)


def _require_canary(deployment: Deployment, verb: str) -> ModelVersion:
    if deployment.canary_version_id is None:
        raise ValidationError(
            {
                "canary_version": f"Deployment {deployment.name} has no canary to {verb}; "
                "start one with a canary version and weight first."
            }
        )
    return deployment.canary_version


RELATED_RECORDS = ["team", "environment", "model_version", "canary_version", "created_by"]


def _validate(deployment: Deployment) -> None:
    """Every field's validators and the model's clean(), without the constraints' queries.

    Django checks each CheckConstraint with a query of its own (seven per save, half a
    create's SQL). clean() makes each of those rules in Python with a message that says
    how to fix it, the database still enforces them, and the name's uniqueness is
    checked by the create (and again after the INSERT, for a concurrent one). The related
    records arrive as records the caller read, so their existence is not asked again.
    """
    deployment.full_clean(exclude=RELATED_RECORDS, validate_constraints=False)


def _name_taken(deployment: Deployment) -> ValidationError:
    return ValidationError(
        {
            "name": f"A deployment named '{deployment.name}' already exists in "
            f"environment '{deployment.environment.name}'; choose another name."
        }
    )


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
