"""Small helpers every app's service functions share."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction


def reject_unknown_fields(fields: dict[str, Any], allowed: Iterable[str]) -> None:
    """Refuse fields a service does not accept, naming each one."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError(
            {name: f"'{name}' is not a field that can be set here." for name in unknown}
        )


def user_or_none(actor: Any) -> Any:
    """The acting user, or None when Gantry itself (or an anonymous caller) acts."""
    if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) is not None:
        return actor
    return None


def save_new(obj: models.Model) -> None:
    """Insert a validated record; losing a race for a unique name is a ValidationError.

    `full_clean()` checked uniqueness, but a concurrent insert may have taken the
    name since. The clash is re-checked after the failed insert so the caller
    gets the same message `full_clean()` would have given, never an IntegrityError.
    """
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        obj.validate_unique()
        obj.validate_constraints()
        raise
