"""Cluster records: what a platform admin may store."""

import pytest
from django.core.exceptions import ValidationError

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["ftp://files.internal/metrics", "file:///etc/passwd", "ftps://prom.internal/"]
)
def test_a_prometheus_url_must_be_http_or_https(url):
    cluster = factories.ClusterFactory.build(prometheus_url=url)
    with pytest.raises(ValidationError) as caught:
        cluster.full_clean()
    messages = caught.value.message_dict["prometheus_url"]
    assert any("only http:// and https:// are allowed" in m for m in messages), messages


def test_the_refusal_does_not_repeat_the_password():
    cluster = factories.ClusterFactory.build(prometheus_url="ftp://admin:s3cret@files.internal/")
    with pytest.raises(ValidationError) as caught:
        cluster.full_clean()
    text = " ".join(caught.value.message_dict["prometheus_url"])
    assert "ftp://***@files.internal/" in text
    assert "s3cret" not in text


def test_an_http_url_with_credentials_is_accepted():
    factories.ClusterFactory.build(
        prometheus_url="https://gantry:s3cret@prom.internal"
    ).full_clean()


# --- egress ---------------------------------------------------------------------------


def test_allowed_egress_without_restricting_it_is_refused_saying_how_to_fix_it():
    environment = factories.EnvironmentFactory.build(
        cluster=factories.ClusterFactory(), egress_cidrs="10.0.0.0/8", egress_namespaces="vector-db"
    )
    with pytest.raises(ValidationError) as caught:
        environment.full_clean()
    errors = caught.value.message_dict
    assert set(errors) == {"egress_cidrs", "egress_namespaces"}, errors
    assert "tick 'restrict egress'" in errors["egress_cidrs"][0]


def test_a_bad_egress_cidr_names_itself_and_shows_an_example():
    environment = factories.EnvironmentFactory.build(
        cluster=factories.ClusterFactory(),
        restrict_egress=True,
        egress_cidrs="10.0.0.0/8, 10.300.0.0/16",
    )
    with pytest.raises(ValidationError) as caught:
        environment.full_clean()
    (message,) = caught.value.message_dict["egress_cidrs"]
    assert "'10.300.0.0/16' is not a CIDR block" in message
    assert "e.g. '10.0.0.0/8'" in message


def test_restricted_egress_with_its_destinations_is_accepted():
    environment = factories.EnvironmentFactory.build(
        cluster=factories.ClusterFactory(),
        restrict_egress=True,
        egress_cidrs="10.0.0.0/8",
        egress_namespaces="vector-db",
    )
    environment.full_clean()
    assert environment.egress_cidr_list == ["10.0.0.0/8"]
    assert environment.egress_namespace_list == ["vector-db"]
