"""The namespace's NetworkPolicy: ingress fenced always, egress only when the environment
restricts it, and then to DNS, the namespace itself and what the environment allows."""

from dataclasses import replace

import kubernetes_validate
import pytest

from apps.deployments import manifests as m
from tests.deployments.test_manifests import KUBERNETES_VERSION, NAMESPACE

RESTRICTED = replace(
    NAMESPACE,
    restrict_egress=True,
    egress_to_namespaces=("vector-db", "feature-store"),
    egress_to_cidrs=("10.0.0.0/8", "2001:db8::/32"),
)


def in_namespaces(*names):
    return {
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(names)}
            ]
        }
    }


def test_egress_stays_open_by_default():
    spec = m.network_policy(NAMESPACE)["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    assert "egress" not in spec


def test_restricted_egress_allows_dns_the_namespace_and_the_allowed_destinations_only():
    spec = m.network_policy(RESTRICTED)["spec"]

    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["egress"] == [
        {
            "to": [in_namespaces("kube-system")],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        },
        {"to": [{"podSelector": {}}]},
        {"to": [in_namespaces("vector-db", "feature-store")]},
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}, {"ipBlock": {"cidr": "2001:db8::/32"}}]},
    ]


def test_restricted_egress_with_nothing_allowed_still_resolves_names():
    spec = m.network_policy(replace(NAMESPACE, restrict_egress=True))["spec"]
    assert [rule["to"] for rule in spec["egress"]] == [
        [in_namespaces("kube-system")],
        [{"podSelector": {}}],
    ]


def test_restricting_egress_leaves_ingress_as_it_was():
    assert (
        m.network_policy(RESTRICTED)["spec"]["ingress"]
        == m.network_policy(NAMESPACE)["spec"]["ingress"]
    )


@pytest.mark.parametrize("ns", [NAMESPACE, RESTRICTED], ids=["open", "restricted"])
def test_the_fence_is_valid_for_the_cluster_version(ns):
    try:
        kubernetes_validate.validate(m.network_policy(ns), KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"NetworkPolicy is invalid at {list(exc.path)}: {exc.message}")
