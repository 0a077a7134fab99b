"""Names Gantry goes by toward the outside world, in one place."""

# How Gantry names itself to Kubernetes: the field manager of its server-side applies
# and the value of the `app.kubernetes.io/managed-by` label on every object it makes.
MANAGER = "gantry"
