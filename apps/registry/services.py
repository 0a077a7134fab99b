"""The only writers of models and model versions; UI, API and admin call these."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from apps.accounts.access import require_role
from apps.accounts.choices import Role
from apps.accounts.models import Team
from apps.core import audit
from apps.core.lib.servicekit import reject_unknown_fields, save_new, user_or_none
from apps.registry.models import Model, ModelVersion

MODEL_FIELDS = ("name", "description", "framework", "task")
VERSION_FIELDS = (
    "version",
    "description",
    "artifact_uri",
    "runtime",
    "image",
    "port",
    "health_path",
    "default_cpu",
    "default_memory",
    "default_gpu_count",
    "artifact_size",
)
# What may still change once a deployment runs a version.
MUTABLE_IN_USE = frozenset({"description"})


def create_model(*, actor: Any, team: Team, **fields: Any) -> Model:
    require_role(actor, team, Role.DEPLOYER, doing="register models")
    reject_unknown_fields(fields, MODEL_FIELDS)
    model = Model(team=team, **fields)
    _full_clean(model, "name", _name_taken_error(model))
    with transaction.atomic():
        save_new(model)
        audit.record(
            actor=actor,
            verb="create",
            target=f"model/{model}",
            message="Registered model.",
            team=team,
        )
    return model


def update_model(model: Model, *, actor: Any, **changes: Any) -> Model:
    require_role(actor, model.team, Role.DEPLOYER, doing="change models")
    reject_unknown_fields(changes, MODEL_FIELDS)
    with transaction.atomic():
        model = Model.objects.select_for_update().get(pk=model.pk)
        for name, value in changes.items():
            setattr(model, name, value)
        model.full_clean()
        model.save()
        audit.record(
            actor=actor,
            verb="update",
            target=f"model/{model}",
            message=f"Changed {', '.join(sorted(changes)) or 'nothing'}.",
            team=model.team,
        )
    return model


def archive_model(model: Model, *, actor: Any) -> Model:
    """Hide a model from lists for good; it and its versions stay for the audit trail.

    Refused while a deployment runs any of its versions. Archiving twice changes nothing.
    """
    require_role(actor, model.team, Role.DEPLOYER, doing="archive models")
    with transaction.atomic():
        model = Model.objects.select_for_update().get(pk=model.pk)
        if model.archived_at is not None:
            return model
        users = {
            version.version: version.used_by()
            for version in model.versions.select_for_update().order_by("version")
        }
        in_use = [f"{label} by {', '.join(names)}" for label, names in users.items() if names]
        if in_use:
            raise ValidationError(
                f"Model {model.name} has versions in use ({'; '.join(in_use)}); delete those "
                "deployments or move them to another model's version, then archive it."
            )
        model.archived_at = timezone.now()
        model.save(update_fields=["archived_at", "updated_at"])
        audit.record(
            actor=actor,
            verb="archive",
            target=f"model/{model}",
            message=f"Archived model {model.name} and its {len(users)} versions; "
            "they are kept for the audit trail.",
            team=model.team,
        )
    return model


def create_model_version(*, actor: Any, model: Model, **fields: Any) -> ModelVersion:
    require_role(actor, model.team, Role.DEPLOYER, doing="register model versions")
    reject_unknown_fields(fields, VERSION_FIELDS)
    version = ModelVersion(model=model, created_by=user_or_none(actor), **fields)
    _full_clean(version, "version", _label_taken_error(version))
    with transaction.atomic():
        # Locked, so an archive cannot slip in between this check and the insert.
        if Model.objects.select_for_update().get(pk=model.pk).archived_at is not None:
            raise ValidationError(
                f"Model {model.name} is archived; register the version under a model in use."
            )
        save_new(version)
        audit.record(
            actor=actor,
            verb="create",
            target=f"modelversion/{version}",
            message=f"Registered version {version.version} ({version.get_runtime_display()}, "
            f"{version.artifact_uri}).",
            team=model.team,
        )
    return version


def update_model_version(
    model_version: ModelVersion, /, *, actor: Any, **changes: Any
) -> ModelVersion:
    """Change a version; once a deployment uses it only the description may change.

    The version is positional-only, so `version=` in `changes` is its new label.
    """
    require_role(actor, model_version.model.team, Role.DEPLOYER, doing="change model versions")
    reject_unknown_fields(changes, VERSION_FIELDS)
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
        changed = {k: v for k, v in changes.items() if getattr(version, k) != v}
        frozen = sorted(set(changed) - MUTABLE_IN_USE)
        if frozen and version.is_in_use():
            raise ValidationError(
                {
                    name: f"Version {version.version} is used by a deployment, so its {name} "
                    "cannot change; register a new version instead."
                    for name in frozen
                }
            )
        for name, value in changed.items():
            setattr(version, name, value)
        if "version" in changed and _label_taken(version):
            raise _label_taken_error(version)
        version.full_clean()
        try:
            with transaction.atomic():
                version.save()
        except IntegrityError:
            if _label_taken(version):  # taken by a concurrent change since the check
                raise _label_taken_error(version) from None
            raise
        audit.record(
            actor=actor,
            verb="update",
            target=f"modelversion/{version}",
            message=f"Changed {', '.join(sorted(changed)) or 'nothing'}.",
            team=version.model.team,
        )
    return version


def delete_model_version(model_version: ModelVersion, /, *, actor: Any) -> None:
    """Delete a version no deployment runs; the audit trail keeps what it was."""
    require_role(actor, model_version.model.team, Role.DEPLOYER, doing="delete model versions")
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
        description = f"version {version.version} ({version.artifact_uri})"
        target = f"modelversion/{version}"
        users = version.used_by()
        if not users:
            try:
                with transaction.atomic():
                    version.delete()
            except (ProtectedError, IntegrityError):  # deployed since the check
                users = version.used_by() or ["a deployment"]
        if users:
            raise ValidationError(
                f"Version {version.version} is used by {', '.join(users)}, so it cannot be "
                "deleted; move those deployments to another version first."
            )
        audit.record(
            actor=actor,
            verb="delete",
            target=target,
            message=f"Deleted {description}.",
            team=model_version.model.team,
        )


def _label_taken(version: ModelVersion) -> bool:
    others = ModelVersion.objects.filter(model_id=version.model_id, version=version.version)
    return others.exclude(pk=version.pk).exists()


def _label_taken_error(version: ModelVersion) -> ValidationError:
    return ValidationError(
        {
            "version": f"Model {version.model.name} already has a version '{version.version}'; "
            f"choose a label it does not have yet, e.g. '{version.version}-2'."
        }
    )


def _name_taken_error(model: Model) -> ValidationError:
    return ValidationError(
        f"Team {model.team.name} already has a model named '{model.name}'; choose another "
        "name, or register a new version of that model instead."
    )


def _full_clean(record: Model | ModelVersion, field: str, taken: ValidationError) -> None:
    """`full_clean()`, with a clash of the unique name told on its field, not the record.

    Django reports a unique constraint over several fields as an error of the whole
    record ("... with this Model and Version already exists"); the form and the API
    show it beside the field the user can change, with a way out.
    """
    try:
        record.full_clean()
    except ValidationError as exc:
        errors = exc.update_error_dict({})
        general = errors.pop(NON_FIELD_ERRORS, [])
        others = [error for error in general if error.code != "unique_together"]
        if len(others) < len(general):
            errors.setdefault(field, []).extend(ValidationError(m) for m in taken.messages)
        if others:
            errors[NON_FIELD_ERRORS] = others
        raise ValidationError(errors) from None
