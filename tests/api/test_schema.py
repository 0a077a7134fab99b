"""schemathesis against the OpenAPI schema, as two different teams: never a 5xx, and every
answer (errors included) conforms to the schema, also when a value the schema allows or
refuses is swapped for one that once crashed a handler (see HOSTILE)."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
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


SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@schema.parametrize()
@SETTINGS
def test_the_api_conforms_to_its_schema(case, caller):
    case.call_and_validate(headers=caller, checks=CHECKS)


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


# Values that crashed a handler once: digits int() refuses, numbers past 64 bits or past
# a float, times past the calendar, and (bodies only) deep nesting. A lone surrogate cannot
# be sent in the form encodings schemathesis also picks; tests/api/test_bad_input.py sends
# it in JSON.
HOSTILE_TEXT = st.sampled_from(
    [
        "\u00b2",
        "\u0661\u0662",
        "99999999999999999999999",
        "-99999999999999999999999",
        "1e999",
        "NaN",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+05:00",
        "-created_at,team__name",
        "expires_at",
        "\x00",
    ]
)
HOSTILE_BODY = st.one_of(
    HOSTILE_TEXT,
    st.sampled_from([10**30, -(10**30), 1e308, _nested(600), _nested(40)]),
)
PAGING = ("page_size", "cursor", "ordering")


@schema.parametrize()
@schema.given(data=st.data())
@SETTINGS
def test_hostile_values_anywhere_are_answered_in_the_error_shape(case, data, caller):
    query_names = sorted({*(case.query or {}), *(PAGING if case.method == "GET" else ())})
    if query_names and data.draw(st.booleans(), label="in the query"):
        name = data.draw(st.sampled_from(query_names), label="parameter")
        case.query = {**(case.query or {}), name: data.draw(HOSTILE_TEXT, label="value")}
    elif isinstance(case.body, dict) and case.body:
        name = data.draw(st.sampled_from(sorted(case.body)), label="field")
        case.body = {**case.body, name: data.draw(HOSTILE_BODY, label="value")}
    case.call_and_validate(headers=caller, checks=CHECKS)
