"""Which deployment a page may show, and whether to offer its actions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from apps.accounts.access import role_in
from apps.accounts.choices import ROLE_RANK, Role
from apps.deployments.models import Deployment


def visible(user: Any):
    """The user's teams' deployments, with everything the page names in one query."""
    return Deployment.objects.visible_to(user).select_related(
        "team", "environment__cluster", "model_version__model", "canary_version"
    )


def fetch(request: HttpRequest, pk: int) -> Deployment:
    """The deployment, or 404 for one of another team (or none)."""
    return get_object_or_404(visible(request.user), pk=pk)


def can_act(user: Any, deployment: Deployment) -> bool:
    """Whether to offer the actions; the services decide again on every POST."""
    role = role_in(user, deployment.team)
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role.DEPLOYER]
