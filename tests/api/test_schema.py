"""schemathesis against the OpenAPI schema, as two different teams: never a 5xx, and every
answer (errors included) conforms to the schema."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from apps.accounts.services import create_token
from apps.deployments import services
from controlplane.wsgi import application
from tests import factories

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(params=["nlp-owner", "vision-owner"])
def caller(request, owner, outsider, deployer, team, environment, model_version, other_team):
    """Both teams hold records at small ids, so generated ids hit real and foreign objects."""
    services.create_deployment(
        actor=deployer, team=team, environment=environment, name="chat", model_version=model_version
    )
    vision_env = factories.EnvironmentFactory(name="staging", namespace="stage")
    vision_env.teams.add(other_team)
    services.create_deployment(
        actor=outsider,
        team=other_team,
        environment=vision_env,
        name="detect",
        model_version=factories.ModelVersionFactory(model__team=other_team),
    )
    user = owner if request.param == "nlp-owner" else outsider
    return {"Authorization": f"Bearer {create_token(actor=None, user=user, name='st').plain}"}


def load_schema() -> schemathesis.BaseSchema:
    """The schema as /api/v1/schema/ serves it, built in-process, called through WSGI."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    loaded.app = application
    return loaded


schema = load_schema()


@pytest.fixture(autouse=True)
def _in_the_tests_transaction(settings):
    settings.GANTRY_API_THROTTLE_RATE = "1000000/min"
    # Requests run in the test's transaction, as with Django's test client, which
    # likewise stops the per-request connection clean-up from closing it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_conforms_to_its_schema(case, caller):
    case.call_and_validate(headers=caller, checks=CHECKS)
