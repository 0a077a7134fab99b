"""Any value of a list's query parameters (pages, cursors, ordering, filters) gets an answer:
a page or a 400 in the error shape, never a 500."""

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.deployments import services

LISTS = {
    "/api/v1/deployments/": ["team", "environment", "state", "model", "name"],
    "/api/v1/models/": ["team", "name", "framework", "task"],
    "/api/v1/events/": ["team", "deployment", "verb", "source", "actor", "since", "until"],
    "/api/v1/teams/": [],
    "/api/v1/tokens/": [],
    "/api/v1/environments/": [],
}
PAGING = ["page_size", "cursor", "ordering"]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
)
numbers_as_text = st.one_of(
    st.integers().map(str),
    st.floats().map(str),
    st.decimals().map(str),
    st.from_regex(r"\A[0-9\u00b2\u0660-\u0669\uff10-\uff19+\-. eE]{1,30}\Z"),
)
cursors = st.builds(
    lambda ordering, position, backwards: _cursor({"o": ordering, "p": position, "b": backwards}),
    st.sampled_from(["-created_at,-id", "name,id", "-id", "x"]),
    st.lists(json_scalars, max_size=3),
    json_scalars,
)
values = st.one_of(st.text(), numbers_as_text, cursors)


@pytest.fixture
def client(api, owner, deployer, team, environment, model_version):
    for index in range(3):
        services.create_deployment(
            actor=deployer,
            team=team,
            environment=environment,
            name=f"svc-{index}",
            model_version=model_version,
        )
    return api(owner)


@pytest.mark.parametrize("url", LISTS)
@FUZZ
@given(data=st.data())
def test_any_query_value_answers_a_page_or_a_400(client, url, data):
    name = data.draw(st.sampled_from(PAGING + LISTS[url]), label="parameter")
    value = data.draw(values, label="value")
    response = client.get(url, {name: value})
    assert response.status_code in (200, 400), (name, value, response.content)
    if response.status_code == 400:
        assert set(response.json()) == {"error", "detail", "fields"}


@FUZZ
@given(query=st.dictionaries(st.sampled_from(PAGING + LISTS["/api/v1/deployments/"]), values))
def test_any_mix_of_query_values_answers_a_page_or_a_400(client, query):
    response = client.get("/api/v1/deployments/", query)
    assert response.status_code in (200, 400), (query, response.content)
