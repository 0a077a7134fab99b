from django.db import models


class State(models.TextChoices):
    """What the user wants: serving, scaled to zero, or gone."""

    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"
    DELETING = "deleting", "Deleting"


class ConditionType(models.TextChoices):
    SYNCED = "Synced", "Synced"
    AVAILABLE = "Available", "Available"
    PROGRESSING = "Progressing", "Progressing"
    DEGRADED = "Degraded", "Degraded"


class AutoscalingMetric(models.TextChoices):
    CPU = "cpu", "CPU utilization (%)"
    CUSTOM = "custom", "Custom pods metric"


class EventSource(models.TextChoices):
    GANTRY = "gantry", "Gantry"
    CLUSTER = "cluster", "Cluster"
