"""URLs as Gantry shows them: never with a password, and only http or https to a host."""

import pytest

from apps.core.lib.urls import http_url_problem, redact_userinfo


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://admin:s3cret@prometheus:9090", "http://***@prometheus:9090"),
        ("https://token@prom.example.com/api", "https://***@prom.example.com/api"),
        ("http://u:p%40ss@host:9090/x?y=1", "http://***@host:9090/x?y=1"),
        # Written unencoded, a password with @ still ends at the last @ before the path.
        ("http://u:p@ss@host:9090/", "http://***@host:9090/"),
        ("http://prometheus:9090", "http://prometheus:9090"),
        ("http://host/path@not-userinfo", "http://host/path@not-userinfo"),
        ("", ""),
    ],
)
def test_userinfo_is_hidden_and_the_rest_of_the_url_kept(text, shown):
    assert redact_userinfo(text) == shown


def test_every_url_in_a_message_is_redacted():
    message = "Failed to parse: 'http://a:one@h1:1/', then tried https://b:two@h2 and gave up"
    assert redact_userinfo(message) == (
        "Failed to parse: 'http://***@h1:1/', then tried https://***@h2 and gave up"
    )


@pytest.mark.parametrize(
    "url", ["http://prometheus:9090", "https://u:p@prom.example.com/", "HTTP://10.0.0.1:9090"]
)
def test_http_and_https_urls_of_a_host_are_accepted(url):
    assert http_url_problem(url) == ""


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://files.internal/", "uses the scheme 'ftp'"),
        ("file:///etc/passwd", "uses the scheme 'file'"),
        ("gopher://redis:6379/_FLUSHALL", "uses the scheme 'gopher'"),
        ("prometheus:9090", "uses the scheme 'prometheus'"),
        ("//prometheus:9090", "uses the scheme '(none)'"),
        ("http:///api", "names no host"),
        ("http://prometheus:port/", "is not a valid URL"),
    ],
)
def test_anything_else_is_refused_with_an_example(url, says):
    problem = http_url_problem(url)
    assert says in problem
    assert "e.g. http://prometheus.monitoring.svc:9090" in problem
