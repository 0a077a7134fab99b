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
    # Whether the Ingress or HTTPRoute of an externally exposed deployment takes traffic.
    EXPOSED = "Exposed", "Exposed"


class ConditionStatus(models.TextChoices):
    """A condition's status, spelt as Kubernetes spells it."""

    TRUE = "True", "True"
    FALSE = "False", "False"
    UNKNOWN = "Unknown", "Unknown"


class Reason(models.TextChoices):
    """Reasons on conditions: Gantry's own, and the cluster's as `observe` reads them."""

    # Synced, from applying.
    APPLIED = "Applied", "Applied"
    APPLY_RETRYING = "ApplyRetrying", "Retrying a refused apply"
    APPLY_FAILED = "ApplyFailed", "Apply failed"
    FIELD_CONFLICT = "FieldConflict", "Another applier owns a field"
    UNREACHABLE = "ClusterUnreachable", "Cluster unreachable"
    DELETING = "Deleting", "Deleting"
    # Available, Progressing and Degraded, from observing.
    ALL_REPLICAS_READY = "AllReplicasReady", "All replicas ready"
    CREATING = "Creating", "Creating"
    ROLLOUT_IN_PROGRESS = "RolloutInProgress", "Rollout in progress"
    ROLLOUT_COMPLETE = "RolloutComplete", "Rollout complete"
    PROGRESS_DEADLINE_EXCEEDED = "ProgressDeadlineExceeded", "Progress deadline exceeded"
    AS_EXPECTED = "AsExpected", "As expected"
    STOPPED = "Stopped", "Stopped"
    SCALING_DOWN = "ScalingDown", "Scaling down"
    # What keeps pods from serving, worst first (observe.SEVERITY).
    UNSCHEDULABLE = "Unschedulable", "Unschedulable"
    FAILED_CREATE = "FailedCreate", "Pods cannot be created"
    IMAGE_PULL_BACK_OFF = "ImagePullBackOff", "Image cannot be pulled"
    CREATE_CONTAINER_ERROR = "CreateContainerError", "Container cannot start"
    OOM_KILLED = "OOMKilled", "Out of memory"
    CRASH_LOOP_BACK_OFF = "CrashLoopBackOff", "Crash loop"
    NOT_READY = "NotReady", "Not ready"
    # Exposed, from the Ingress or HTTPRoute.
    INGRESS_APPLIED = "IngressApplied", "Ingress applied"
    ROUTE_APPLIED = "RouteApplied", "HTTPRoute applied"
    GATEWAY_API_NOT_SERVED = "GatewayAPINotServed", "The cluster does not serve the Gateway API"
    GATEWAY_NOT_FOUND = "GatewayNotFound", "Gateway not found"
    ROUTE_NOT_ACCEPTED = "RouteNotAccepted", "The Gateway refused the route"
    NOT_EXPOSED = "NotExposed", "Not exposed outside the cluster"


class AutoscalingMetric(models.TextChoices):
    CPU = "cpu", "CPU utilization (%)"
    CUSTOM = "custom", "Custom pods metric"


class EventSource(models.TextChoices):
    GANTRY = "gantry", "Gantry"
    CLUSTER = "cluster", "Cluster"
