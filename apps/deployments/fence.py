"""A team namespace's NetworkPolicy, as pure data: who may reach its model servers,
and, when the environment restricts egress, where they may connect.

Ingress: from the namespace's own pods and from the namespaces the environment
names (an ingress or gateway controller, Prometheus), nothing else. Egress: open,
unless the environment restricts it; then DNS in kube-system, the namespace's own
pods, and the namespaces and CIDR blocks the environment allows.
"""

from __future__ import annotations

from typing import Any

from apps.deployments.manifest_specs import NamespaceSpec

NAMESPACE_NAME = "kubernetes.io/metadata.name"  # the label the API server puts on namespaces
DNS_NAMESPACE, DNS_PORT = "kube-system", 53


def namespaces_named(names: tuple[str, ...]) -> dict[str, Any]:
    """A peer matching the namespaces of these names."""
    return {
        "namespaceSelector": {
            "matchExpressions": [{"key": NAMESPACE_NAME, "operator": "In", "values": list(names)}]
        }
    }


def network_policy(
    ns: NamespaceSpec, name: str, labels: dict[str, str], pods: dict[str, Any]
) -> dict[str, Any]:
    """The NetworkPolicy `name` over the `pods` selector of namespace `ns`."""
    allowed: list[dict[str, Any]] = [{"podSelector": {}}]
    if ns.ingress_from:
        allowed.append(namespaces_named(ns.ingress_from))
    spec: dict[str, Any] = {
        "podSelector": pods,
        "policyTypes": ["Ingress"],
        "ingress": [{"from": allowed}],
    }
    if ns.restrict_egress:
        # Only now: an Egress policy type with no rules would cut every connection.
        spec["policyTypes"] = ["Ingress", "Egress"]
        spec["egress"] = egress_rules(ns)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns.name, "labels": labels},
        "spec": spec,
    }


def egress_rules(ns: NamespaceSpec) -> list[dict[str, Any]]:
    """Where model pods may connect under restricted egress: DNS in kube-system (names
    resolve; nothing else there), their own namespace, and what the environment allows."""
    dns = [{"protocol": protocol, "port": DNS_PORT} for protocol in ("UDP", "TCP")]
    rules: list[dict[str, Any]] = [
        {"to": [namespaces_named((DNS_NAMESPACE,))], "ports": dns},
        {"to": [{"podSelector": {}}]},
    ]
    if ns.egress_to_namespaces:
        rules.append({"to": [namespaces_named(ns.egress_to_namespaces)]})
    if ns.egress_to_cidrs:
        rules.append({"to": [{"ipBlock": {"cidr": cidr}} for cidr in ns.egress_to_cidrs]})
    return rules
