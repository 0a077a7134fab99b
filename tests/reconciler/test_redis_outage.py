"""A change accepted through the API while Redis (the broker) is down is applied once
Redis is back: its reconcile could not be queued, and the resync finds the generation
that was never applied.

Web process, Celery worker and beat all use a Redis of this test's own, which it
stops and starts again on the same port.
"""

from __future__ import annotations

import pytest
import requests

from apps.accounts.services import create_token
from apps.clusters import kube
from apps.deployments import reconciler
from apps.deployments.models import Deployment
from tests.reconciler.conftest import is_available, wait_for_record
from tests.servers import PrivateRedis, gunicorn, session_database_url

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def test_a_change_accepted_while_redis_is_down_is_applied_once_it_is_back(
    private_redis, make_deployment, start_worker, deployer, settings, tmp_path
):
    log = start_worker(
        "--queues", "reconcile,resync", "--beat", "--schedule", str(tmp_path / "beat"),
        REDIS_URL=private_redis.url,
        GANTRY_RESYNC_INTERVAL_S="5",
    )  # fmt: skip
    deployment = make_deployment(replicas=1)
    wait_for_record(deployment.pk, is_available, what="Available before the outage", log=log)
    token = create_token(actor=None, user=deployer, name="ci").plain
    web_env = {
        "DATABASE_URL": session_database_url(),
        "REDIS_URL": private_redis.url,
        "GANTRY_INSTALLATION": settings.GANTRY_INSTALLATION,
        "GANTRY_LOG_FILE": str(tmp_path / "gantry.log"),
    }

    with gunicorn(web_env) as url:
        private_redis.stop()
        try:
            response = requests.post(
                f"{url}/api/v1/deployments/{deployment.pk}/scale/",
                json={"replicas": 2},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
        finally:
            private_redis.start()

    assert response.status_code == 200, response.text
    web_log = (tmp_path / "gantry.log").read_text()
    assert f"could not queue a reconcile of deployment {deployment.pk}" in web_log
    after = wait_for_record(
        deployment.pk,
        lambda r: r is not None and r.observed_generation == r.generation == 2,
        what="the change made during the outage applied",
        log=log,
    )
    live = kube.connect(reconciler.cluster_ref(after.environment.cluster)).get(
        "Deployment", "chat", after.namespace
    )
    assert live["spec"]["replicas"] == 2
    assert Deployment.objects.get(pk=deployment.pk).replicas == 2
