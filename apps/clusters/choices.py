from django.db import models


class Connection(models.TextChoices):
    """How Gantry reaches a cluster's API server."""

    IN_CLUSTER = "in_cluster", "In-cluster service account"
    KUBECONFIG = "kubeconfig", "Kubeconfig file and context"


class Tier(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"


class ExposureMode(models.TextChoices):
    """How an environment's deployments are reached from outside the cluster."""

    NONE = "none", "Not exposed outside the cluster"
    INGRESS = "ingress", "Ingress"
    HTTP_ROUTE = "httproute", "HTTPRoute on a Gateway (Gateway API)"
