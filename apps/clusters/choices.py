from django.db import models


class Connection(models.TextChoices):
    """How Gantry reaches a cluster's API server."""

    IN_CLUSTER = "in_cluster", "In-cluster service account"
    KUBECONFIG = "kubeconfig", "Kubeconfig file and context"


class Tier(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"
