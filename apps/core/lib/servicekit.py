"""Small helpers every app's service functions share."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError


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
