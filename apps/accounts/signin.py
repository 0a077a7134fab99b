"""Brute-force protection of password sign-in, on top of django-axes.

django-axes counts failures per username and per address and refuses a locked
one (settings: AXES_*). Here: the page a locked-out visitor sees, and the audit
entry and log line each lockout leaves.
"""

import logging
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core import audit

logger = logging.getLogger(__name__)

# Usernames come from whoever posts the form: keep what is stored and logged short.
MAX_USERNAME_SHOWN = 150


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the sign-in page's lockout message, answered 429."""
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": cooloff_minutes()}
    return render(request, "registration/locked_out.html", context, status=429)


@receiver(user_locked_out)
def audit_lockout(
    sender: Any, *, request: HttpRequest, username: str | None, ip_address: str | None, **kw: Any
) -> None:
    name = (username or "")[:MAX_USERNAME_SHOWN]
    message = (
        f"Sign-in as {name!r} from {ip_address} locked for {cooloff_minutes()} minutes "
        f"after {settings.AXES_FAILURE_LIMIT} failed attempts on {request.path}."
    )
    logger.warning("%s", message)
    audit.record(actor=None, verb="lockout", target=f"sign-in {name!r}", message=message)
