"""Typed readers for settings that come from the environment.

Kept apart from settings.py so they can be unit-tested; each one names the
variable in its error so a misconfigured deployment says what to fix.
"""

import os
from fractions import Fraction
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a whole number, e.g. {default}."
        ) from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (for mounted Kubernetes secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE={file_name} cannot be read: {exc.strerror}."
            ) from None
    return os.environ.get(name, default)


def env_fractions(name: str) -> dict[str, Fraction]:
    """`key=fraction` pairs separated by commas, e.g. `1g.10gb=1/7,3g.40gb=3/7`.

    Each fraction is exact (1/7 stays 1/7) and must lie in (0, 1].
    """
    raw = os.environ.get(name, "")
    example = f"e.g. {name}=1g.10gb=1/7,3g.40gb=3/7"
    table: dict[str, Fraction] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key, sep, text = (piece.strip() for piece in item.partition("="))
        try:
            value = Fraction(text) if sep and key else None
        except (ValueError, ZeroDivisionError):
            value = None
        if value is None or not 0 < value <= 1:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not <name>=<fraction of a GPU between 0 and 1>; {example}."
            )
        table[key] = value
    return table
