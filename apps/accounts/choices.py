from django.db import models


class Role(models.TextChoices):
    """What a member may do in a team; each role includes the ones before it."""

    VIEWER = "viewer", "Viewer"
    DEPLOYER = "deployer", "Deployer"
    ADMIN = "admin", "Team admin"


ROLE_RANK = {Role.VIEWER: 0, Role.DEPLOYER: 1, Role.ADMIN: 2}


def roles_at_least(role: str) -> list[str]:
    """`role` and every stronger one."""
    floor = ROLE_RANK[Role(role)]
    return [r.value for r, rank in ROLE_RANK.items() if rank >= floor]
