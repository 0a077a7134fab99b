"""Exposure manifests: the Ingress, the HTTPRoute and the per-track Services of its exact
canary split, and the addresses shown for a deployment (pure, no cluster)."""

from dataclasses import replace

from apps.clusters.exposure import Exposure
from apps.deployments import exposure
from apps.deployments import manifests as m
from tests.deployments.test_manifests import BASE, CANARY, INGRESS, ROUTED_CANARY, kinds, the

HOST = "chat.dev-nlp.models.example.com"
ROUTED = replace(BASE, exposure=ROUTED_CANARY.exposure)


def backends(spec):
    route = the(m.deployment_objects(spec), "HTTPRoute")
    return [(b["name"], b["weight"]) for b in route["spec"]["rules"][0]["backendRefs"]]


def test_an_ingress_sends_the_host_to_the_service_with_a_cert_manager_certificate():
    ingress = the(m.deployment_objects(INGRESS), "Ingress")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == HOST
    assert rule["http"]["paths"][0]["backend"]["service"] == {
        "name": "chat",
        "port": {"number": 80},
    }
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}
    assert ingress["spec"]["tls"] == [{"hosts": [HOST], "secretName": "chat-tls"}]
    assert "ingressClassName" not in ingress["spec"]


def test_an_ingress_with_a_named_secret_and_class_uses_them_and_no_issuer():
    spec = replace(
        BASE,
        exposure=m.ExposureSpec(
            kind="Ingress", host=HOST, ingress_class="nginx", tls_secret="wildcard-models"
        ),
    )
    ingress = the(m.deployment_objects(spec), "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": [HOST], "secretName": "wildcard-models"}]
    assert "annotations" not in ingress["metadata"]


def test_an_ingress_without_tls_has_no_tls_entry():
    spec = replace(BASE, exposure=m.ExposureSpec(kind="Ingress", host=HOST))
    assert "tls" not in the(m.deployment_objects(spec), "Ingress")["spec"]


def test_an_ingress_canary_shares_the_one_service_as_before():
    spec = replace(CANARY, exposure=INGRESS.exposure)
    objects = m.deployment_objects(spec)
    assert [name for kind, name in kinds(objects) if kind == "Service"] == ["chat"]
    assert "gantry.dev/track" not in the(objects, "Service")["spec"]["selector"]


def test_a_route_attaches_to_the_named_gateway_with_the_host():
    route = the(m.deployment_objects(ROUTED), "HTTPRoute")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "namespace": "gateway-system",
            "name": "public",
        }
    ]
    assert route["spec"]["hostnames"] == [HOST]
    assert backends(ROUTED) == [("chat", 100)]


def test_a_routed_canary_gets_exactly_its_weight_through_its_own_service():
    objects = m.deployment_objects(ROUTED_CANARY)
    assert backends(ROUTED_CANARY) == [("chat", 75), ("chat-canary", 25)]
    stable = the(objects, "Service", "chat")["spec"]["selector"]
    canary = the(objects, "Service", "chat-canary")["spec"]["selector"]
    assert stable["gantry.dev/track"] == "stable"
    assert canary["gantry.dev/track"] == "canary"
    pods = the(objects, "Deployment", "chat-canary")["spec"]["template"]["metadata"]["labels"]
    assert all(pods[key] == value for key, value in canary.items()), (canary, pods)


def test_a_weight_change_changes_the_route_weights_and_no_service_route_part_or_pod():
    before = m.deployment_objects(ROUTED_CANARY)
    after = m.deployment_objects(replace(ROUTED_CANARY, canary_weight=60))
    assert backends(replace(ROUTED_CANARY, canary_weight=60)) == [("chat", 40), ("chat-canary", 60)]
    assert kinds(before) == kinds(after)
    for old, new in zip(before, after, strict=True):
        if old["kind"] == "HTTPRoute":
            old_rules, new_rules = old["spec"].pop("rules"), new["spec"].pop("rules")
            assert [b["name"] for b in old_rules[0]["backendRefs"]] == [
                b["name"] for b in new_rules[0]["backendRefs"]
            ]
        if old["kind"] == "Deployment":
            # The pods stay; only the share of replicas follows the weight (capacity).
            assert old["spec"]["template"] == new["spec"]["template"]
            old["spec"].pop("replicas"), new["spec"].pop("replicas")
        assert old == new, f"{old['kind']} {old['metadata']['name']} changed"


def test_a_route_the_cluster_cannot_hold_falls_back_to_one_service_and_no_route():
    unserved = replace(ROUTED_CANARY, exposure=replace(ROUTED_CANARY.exposure, served=False))
    objects = m.deployment_objects(unserved)
    assert [k for k, _ in kinds(objects)].count("Service") == 1
    assert "HTTPRoute" not in {k for k, _ in kinds(objects)}


def test_no_exposure_means_no_ingress_nor_route():
    assert {k for k, _ in kinds(m.deployment_objects(CANARY))} & {"Ingress", "HTTPRoute"} == set()


def test_the_way_in_is_applied_after_what_it_leads_to():
    assert kinds(m.deployment_objects(ROUTED_CANARY))[-1] == ("HTTPRoute", "chat")


def urls_with(rules):
    return exposure.urls(
        name="chat", namespace="dev-nlp", team="nlp", environment="development", rules=rules
    )


def test_the_urls_are_the_service_dns_name_and_the_host():
    rules = Exposure(mode="ingress", host_template="{deployment}.{team}.{domain}", domain="ml.io")
    assert urls_with(rules) == {
        "in_cluster": "http://chat.dev-nlp.svc.cluster.local:80",
        "external": "http://chat.nlp.ml.io",
    }
    assert urls_with(replace(rules, tls_secret="wildcard"))["external"] == "https://chat.nlp.ml.io"
    assert urls_with(replace(rules, mode="none"))["external"] is None


def test_a_route_problem_is_said_in_words():
    route = m.deployment_objects(ROUTED)[-1]
    assert exposure.route_problem(route, True) == ("", "")
    assert exposure.route_problem(route, None) == ("", "")
    reason, words = exposure.route_problem(route, False)
    assert reason == "GatewayNotFound"
    assert 'gateways.gateway.networking.k8s.io "public" not found' in words
    refused = {
        **route,
        "status": {
            "parents": [
                {
                    "conditions": [
                        {
                            "type": "Accepted",
                            "status": "False",
                            "reason": "NotAllowedByListeners",
                            "message": "no listener allows routes from dev-nlp",
                        }
                    ]
                }
            ]
        },
    }
    assert exposure.route_problem(refused, True) == (
        "RouteNotAccepted",
        "Gateway gateway-system/public did not accept the HTTPRoute: "
        "no listener allows routes from dev-nlp",
    )
