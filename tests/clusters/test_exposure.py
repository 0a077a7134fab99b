"""An environment's external exposure: what a platform admin may set, and the words of
each refusal (each with an example that works)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.clusters.exposure import Exposure, problems
from tests import factories
from tests.clusters.test_namespaces import environment_form

INGRESS = Exposure(
    mode="ingress", host_template="{deployment}.{namespace}.{domain}", domain="models.example.com"
)
ROUTE = Exposure(
    mode="httproute",
    host_template="{deployment}.{namespace}.{domain}",
    domain="models.example.com",
    gateway="gateway-system/public",
)


def refusal(rules: Exposure, **changes: str) -> dict[str, str]:
    return problems(Exposure(**{**rules.__dict__, **changes}))


@pytest.mark.parametrize(
    "rules",
    [
        INGRESS,
        ROUTE,
        Exposure(mode="ingress", host_template="{deployment}.{team}.ml.internal"),
        Exposure(
            mode="ingress",
            host_template="{deployment}.{environment}.{team}.{domain}",
            domain="example.com",
            tls_issuer="letsencrypt",
        ),
        Exposure(mode="none", host_template="", domain=""),
    ],
)
def test_valid_settings_pass(rules):
    assert problems(rules) == {}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"host_template": ""}, "host_template", "needs a host template"),
        ({"host_template": "{deployment}.{region}.{domain}"}, "host_template", "'{region}'"),
        ({"host_template": "{deployment}.{domain}"}, "host_template", "no two deployments"),
        ({"host_template": "{namespace}.{domain}"}, "host_template", "no two deployments"),
        ({"host_template": "api-{deployment}.{namespace}.{domain}"}, "host_template", "whole"),
        ({"host_template": "{deployment}.{namespace}.{domain"}, "host_template", "brace"),
        ({"host_template": "{deployment!r}.{namespace}.{domain}"}, "host_template", "not a"),
        ({"host_template": "{deployment}.{namespace}.Models.com", "domain": ""}, "host_template",
         "not a DNS name"),
        ({"domain": ""}, "domain", "uses {domain}"),
        ({"domain": "*.example.com"}, "domain", "not a DNS name"),
        ({"domain": "x" * 64 + ".com"}, "domain", "not a DNS name"),
        ({"domain": ("a" * 60 + ".") * 3 + "com"}, "host_template", "over DNS's 253"),
        ({"host_template": "{deployment}.{namespace}.ml.io"}, "domain", "does not use {domain}"),
        ({"tls_secret": "wildcard", "tls_issuer": "letsencrypt"}, "tls_issuer", "not both"),
    ],
)  # fmt: skip
def test_bad_ingress_settings_are_refused_with_words(changes, field, words):
    errors = refusal(INGRESS, **changes)
    assert words in errors.get(field, ""), errors
    assert "e.g." in errors[field] or "clear this" in errors[field] or "not both" in errors[field]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"gateway": ""}, "attaches to a Gateway"),
        ({"gateway": "public"}, "is not namespace/name"),
        ({"gateway": "Gateway-System/public"}, "is not namespace/name"),
        ({"gateway": "gateway-system/"}, "is not namespace/name"),
    ],
)
def test_a_route_needs_a_gateway_as_namespace_and_name(changes, words):
    errors = refusal(ROUTE, **changes)
    assert words in errors["gateway"]
    assert "e.g. 'gateway-system/public'" in errors["gateway"]


def test_a_route_refuses_per_route_tls():
    errors = refusal(ROUTE, tls_secret="wildcard")
    assert "Gateway's listener" in errors["tls_secret"]


def test_hosts_and_urls_follow_the_template():
    host = INGRESS.host(deployment="chat", namespace="prod-nlp", team="nlp", environment="prod")
    assert host == "chat.prod-nlp.models.example.com"
    assert ROUTE.url(deployment="chat", namespace="prod-nlp", team="nlp", environment="prod") == (
        "https://chat.prod-nlp.models.example.com"
    )


@pytest.mark.django_db
def test_the_model_refuses_bad_settings_before_saving():
    env = factories.EnvironmentFactory.build(
        exposure="httproute", host_template="{deployment}.{domain}", domain="ml.io"
    )
    with pytest.raises(ValidationError) as caught:
        env.full_clean()
    assert "gateway" in caught.value.message_dict
    assert "host_template" in caught.value.message_dict


@pytest.mark.django_db
def test_the_admin_saves_an_ingress_exposure_and_refuses_a_bad_one(client, superuser):
    env = factories.EnvironmentFactory(name="production", namespace="prod")
    client.force_login(superuser)
    url = reverse("admin:clusters_environment_change", args=[env.pk])
    management = {
        "team_links-TOTAL_FORMS": "0",
        "team_links-INITIAL_FORMS": "0",
        "team_links-MIN_NUM_FORMS": "0",
        "team_links-MAX_NUM_FORMS": "1000",
    }
    form = {
        **environment_form("production", "prod", env.cluster),
        **management,
        "exposure": "ingress",
        "host_template": "{deployment}.{namespace}.{domain}",
        "domain": "Models.Example.com",
    }

    response = client.post(url, form)
    assert response.status_code == 200
    assert "not a DNS name" in response.context["adminform"].form.errors["domain"][0]
    env.refresh_from_db()
    assert env.exposure == "none"

    response = client.post(url, {**form, "domain": "models.example.com", "ingress_class": "nginx"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    env.refresh_from_db()
    assert (env.exposure, env.domain, env.ingress_class) == (
        "ingress",
        "models.example.com",
        "nginx",
    )
