"""The audit hook that earlier apps use to record what people and Gantry did.

The audit trail is stored by `deployments.Event`, but `registry` and `accounts`
come earlier in the import order and may not import `deployments`. They send
this signal instead; `apps.deployments.receivers` stores it, in the same
transaction as the change it describes.
"""

from typing import Any

from django.dispatch import Signal

audit_event = Signal()


def record(
    *,
    actor: Any,
    verb: str,
    target: str,
    message: str,
    team: Any = None,
    deployment: Any = None,
) -> None:
    """Record one audit entry; `actor` is a user, or None for Gantry itself."""
    audit_event.send(
        sender=None,
        actor=actor,
        verb=verb,
        target=target,
        message=message,
        team=team,
        deployment=deployment,
    )
