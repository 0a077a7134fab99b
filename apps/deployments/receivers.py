"""Stores audit entries sent through `apps.core.audit` as deployments.Event rows."""

from typing import Any

from django.dispatch import receiver

from apps.core.audit import audit_event
from apps.core.lib.servicekit import user_or_none
from apps.deployments.models import Event


@receiver(audit_event)
def store_audit_event(
    sender: Any,
    *,
    actor: Any,
    verb: str,
    target: str,
    message: str,
    team: Any = None,
    deployment: Any = None,
    **kwargs: Any,
) -> None:
    user = user_or_none(actor)
    Event.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "gantry",
        verb=verb,
        target=target,
        message=message,
        team=team,
        deployment=deployment,
    )
