from django.db import models


class Role(models.TextChoices):
    """What a member may do in a team; each role includes the ones before it."""

    VIEWER = "viewer", "Viewer"
    DEPLOYER = "deployer", "Deployer"
    ADMIN = "admin", "Team admin"


ROLE_RANK = {Role.VIEWER: 0, Role.DEPLOYER: 1, Role.ADMIN: 2}
