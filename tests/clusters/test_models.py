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
