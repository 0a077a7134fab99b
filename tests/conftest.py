"""The shared cast of every test: an owner, a teammate with fewer rights, an outsider.

Servers: pytest runs against the PostgreSQL and Redis that `make test` starts
(DATABASE_URL, REDIS_URL). The local Kubernetes cluster and Prometheus come up
on demand through the fixtures in tests/fixtures/.
"""

import pytest

from apps.accounts.choices import Role
from apps.core.lib.outage import redis_outage
from apps.deployments import services
from tests import factories

pytest_plugins: list[str] = ["tests.fixtures.prometheus", "tests.fixtures.kube"]


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # Test users need a password hash, not a slow one: PBKDF2 costs ~0.3 s per user here.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _redis_outage_ends_with_the_test():
    # An outage is remembered per process for a few seconds; one that a test caused by
    # stopping a Redis must not make the next tests go without the cache.
    yield
    redis_outage.reset()


@pytest.fixture
def team(db):
    return factories.TeamFactory(name="nlp")


@pytest.fixture
def other_team(db):
    return factories.TeamFactory(name="vision")


@pytest.fixture
def owner(team):
    """A team admin of `team`."""
    return factories.member(team, Role.ADMIN, username="olivia")


@pytest.fixture
def deployer(team):
    return factories.member(team, Role.DEPLOYER, username="dara")


@pytest.fixture
def teammate(team):
    """A viewer of `team`: may read, may not change."""
    return factories.member(team, Role.VIEWER, username="theo")


@pytest.fixture
def outsider(other_team):
    """A team admin of `other_team`, who must never see `team`'s records."""
    return factories.member(other_team, Role.ADMIN, username="oscar")


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def environment(team):
    env = factories.EnvironmentFactory(name="development", namespace="dev")
    env.teams.add(team)
    return env


@pytest.fixture
def model_version(team):
    return factories.ModelVersionFactory(model__team=team)


@pytest.fixture
def deployment(deployer, team, environment, model_version):
    """A one-H100 deployment created through the services, as a deployer would."""
    return services.create_deployment(
        actor=deployer,
        team=team,
        environment=environment,
        name="chat",
        model_version=model_version,
        cpu="2",
        memory="16Gi",
        gpu_count=1,
        gpu_model="NVIDIA-H100-80GB-HBM3",
    )
