"""CLI tests against the local cluster: the reconciler's fixtures (a cluster record,
an environment with a namespace of its own, a real Celery worker)."""

from tests.reconciler.conftest import (  # noqa: F401 (fixtures, used by name)
    cluster,
    cluster_record,
    environment,
    installation,
    start_worker,
)
