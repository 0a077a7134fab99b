"""API test helpers: a client per actor, authenticated by a real personal token."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.services import create_token
from apps.deployments import services
from tests import factories

H100 = "NVIDIA-H100-80GB-HBM3"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Throttle counts live in Redis, which outlives each test's rolled-back database.
    cache.clear()


@pytest.fixture
def api(db):
    """api(user) -> an APIClient that sends `Authorization: Bearer <token>` for `user`."""

    def make(user=None, *, token: str | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            token = create_token(actor=None, user=user, name="tests").plain
        if token is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


@pytest.fixture
def deployment(deployer, team, environment, model_version):
    return services.create_deployment(
        actor=deployer,
        team=team,
        environment=environment,
        name="chat",
        model_version=model_version,
        cpu="2",
        memory="16Gi",
        gpu_count=1,
        gpu_model=H100,
    )


@pytest.fixture
def canary_version(model_version):
    return factories.ModelVersionFactory(model=model_version.model, version="v2")
