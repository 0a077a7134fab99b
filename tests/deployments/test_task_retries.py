"""The reconcile task retries a transient cluster error as often as the setting says."""

import pytest

from apps.clusters import kube
from apps.deployments import tasks


@pytest.fixture
def failing_reconcile(monkeypatch):
    calls = []

    def unreachable(deployment_id, *, observe_only=False):
        calls.append(deployment_id)
        raise kube.ClusterUnreachable(cluster="gpu-east", message="down", transient=True)

    monkeypatch.setattr(tasks, "reconcile_once", unreachable)
    return calls


def test_retries_go_on_past_celerys_default_of_three(settings, failing_reconcile):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.GANTRY_RECONCILE_MAX_RETRIES = 5

    result = tasks.reconcile.apply(args=(7,))

    assert len(failing_reconcile) == 6, "the first try and GANTRY_RECONCILE_MAX_RETRIES retries"
    assert result.successful(), f"it gives up quietly for the resync, not with {result.result!r}"
