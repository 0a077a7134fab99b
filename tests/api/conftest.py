"""API test helpers: a client per actor, authenticated by a real personal token."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.models import Membership
from apps.accounts.services import create_token
from apps.deployments import services
from apps.deployments.models import Event
from tests import factories
from tests.api.endpoints import World
from tests.servers import gunicorn, session_database_url

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
def world(owner, deployer, teammate, outsider, team, environment) -> World:
    model = factories.ModelFactory(team=team, name="secret-model")
    stable = factories.ModelVersionFactory(model=model, version="v1")
    canary = factories.ModelVersionFactory(model=model, version="v2")
    deployment = services.create_deployment(
        actor=deployer, team=team, environment=environment, name="secret-chat", model_version=stable
    )
    services.set_canary(deployment, actor=deployer, version=canary, weight=10)
    # Ones no deployment runs: a version that may be deleted, a model that may be archived.
    spare = factories.ModelVersionFactory(model=model, version="v3")
    spare_model = factories.ModelFactory(team=team, name="secret-model-old")
    factories.ModelVersionFactory(model=spare_model, version="v1")
    victim_token = create_token(actor=None, user=owner, name="victim").token
    return World(
        ids={
            "team": team.pk,
            "environment": environment.pk,
            "model": model.pk,
            "version": stable.pk,
            "canary": canary.pk,
            "spare_version": spare.pk,
            "spare_model": spare_model.pk,
            "deployment": deployment.pk,
            "event": Event.objects.filter(deployment=deployment).first().pk,
            "member": Membership.objects.get(user=deployer).pk,
            "token": victim_token.pk,
            # A well-formed name: the pod endpoints go as far as asking the cluster.
            "pod": "secret-chat-5d8f9c7b6-x2x7q",
        }
    )


@pytest.fixture
def canary_version(model_version):
    return factories.ModelVersionFactory(model=model_version.model, version="v2")


@pytest.fixture(scope="module")
def gunicorn_url(django_db_setup, django_db_blocker) -> Iterator[str]:
    """Gantry served by gunicorn (as in production) on the test database.

    Django's own live server accepts only 10 pending connections, too few for a
    burst of 50. Tests that use this need `transactional_db` so the server sees
    their rows. The server stops at the module's end, before the test database
    is dropped.
    """
    env = {"DATABASE_URL": session_database_url(), "GANTRY_API_THROTTLE_RATE": "1000000/min"}
    with gunicorn(env, workers=2, threads=8) as url:
        yield url
