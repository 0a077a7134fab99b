"""API tests against the local cluster: the reconciler's fixtures (a cluster record
for it, an environment with a namespace of its own, deployments made through the
services) and the API's clients (tests/api/conftest.py)."""

from tests.reconciler.conftest import (  # noqa: F401 (fixtures, used by name)
    cluster,
    cluster_record,
    environment,
    installation,
    make_deployment,
    version,
)
