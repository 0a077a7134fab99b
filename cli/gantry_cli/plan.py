"""What `apply` would change: field-by-field differences, and how they read.

Only the fields a file names are compared, so a field the file leaves out keeps
whatever the server holds, and applying the same file again finds nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"
MARKS = {CREATE: "+", UPDATE: "~", UNCHANGED: "="}


@dataclass
class Change:
    ref: str  # e.g. "deployment/chat"
    action: str  # CREATE, UPDATE or UNCHANGED
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # name -> (old, new)

    @property
    def changes(self) -> bool:
        return self.action != UNCHANGED


def same(old: Any, new: Any) -> bool:
    """Equal as the API would store them: `cpu: 2` in a file is the server's "2"."""
    if old == new:
        return True
    if isinstance(old, str) and isinstance(new, int | float) and not isinstance(new, bool):
        return old == str(new)
    return old in (None, "") and new in (None, "")


def differences(desired: dict[str, Any], current: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        name: (current.get(name), value)
        for name, value in desired.items()
        if not same(current.get(name), value)
    }


def compare(ref: str, desired: dict[str, Any], current: dict[str, Any] | None) -> Change:
    if current is None:
        return Change(ref, CREATE, {name: (None, value) for name, value in desired.items()})
    found = differences(desired, current)
    return Change(ref, UPDATE if found else UNCHANGED, found)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) and value == "" else str(value)


def render(changes: list[Change]) -> str:
    """The plan as text, one block per object, e.g.

    ~ deployment/chat
        replicas: 1 -> 2
    """
    lines = []
    for change in changes:
        lines.append(f"{MARKS[change.action]} {change.ref} ({change.action})")
        for name, (old, new) in change.fields.items():
            if change.action == CREATE:
                lines.append(f"    {name}: {_show(new)}")
            else:
                lines.append(f"    {name}: {_show(old)} -> {_show(new)}")
    return "\n".join(lines)
