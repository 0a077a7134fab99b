"""Pure functions for how a deployment is reached: its in-cluster URL, and the Ingress
or HTTPRoute that exposes it outside the cluster when its environment says so.

An Ingress sends a host to the deployment's Service, so a canary gets the share of
traffic its pods have of all pods (the replica ratio). An HTTPRoute names two
Services, one per track, with `backendRefs` weights equal to the canary weight: the
split is exact. `manifests` passes in the labels every object carries.
"""

from __future__ import annotations

from typing import Any

from apps.clusters.exposure import CLUSTER_ISSUER_ANNOTATION, Exposure
from apps.deployments.manifest_specs import DeploymentSpec, ExposureSpec

SERVICE_PORT = 80
GATEWAY_GROUP = "gateway.networking.k8s.io"
# The kinds an external exposure is made of; only the one the environment chose is made.
INGRESS, HTTP_ROUTE = "Ingress", "HTTPRoute"
# The Kubernetes Service DNS domain of the clusters Gantry serves (the usual default).
CLUSTER_DOMAIN = "cluster.local"


def in_cluster_url(name: str, namespace: str) -> str:
    """The deployment's address inside the cluster: its Service's DNS name and port."""
    return f"http://{name}.{namespace}.svc.{CLUSTER_DOMAIN}:{SERVICE_PORT}"


def urls(
    *, name: str, namespace: str, team: str, environment: str, rules: Exposure
) -> dict[str, str | None]:
    """A deployment's addresses, as the API and the deployment page show them: in the
    cluster always, outside it (never probed) when its environment exposes it."""
    external = rules.url(deployment=name, namespace=namespace, team=team, environment=environment)
    return {"in_cluster": in_cluster_url(name, namespace), "external": external or None}


def external_objects(spec: DeploymentSpec, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The Ingress or HTTPRoute of `spec`, or nothing when it is not exposed."""
    exposure = spec.exposure
    if exposure is None:
        return []
    if exposure.kind == INGRESS:
        return [ingress(spec, exposure, labels)]
    if exposure.routes:
        return [http_route(spec, exposure, labels)]
    return []  # an HTTPRoute the cluster cannot hold: the record says so


def ingress(spec: DeploymentSpec, exposure: ExposureSpec, labels: dict[str, str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": spec.name, "namespace": spec.namespace, "labels": labels}
    body: dict[str, Any] = {}
    if exposure.ingress_class:
        body["ingressClassName"] = exposure.ingress_class
    body["rules"] = [
        {
            "host": exposure.host,
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "pathType": "Prefix",
                        "backend": {
                            "service": {"name": spec.name, "port": {"number": SERVICE_PORT}}
                        },
                    }
                ]
            },
        }
    ]
    if exposure.tls_issuer:
        # cert-manager sees the annotation and issues the Secret the TLS entry names.
        metadata["annotations"] = {CLUSTER_ISSUER_ANNOTATION: exposure.tls_issuer}
    if exposure.tls_secret or exposure.tls_issuer:
        secret = exposure.tls_secret or f"{spec.name}-tls"
        body["tls"] = [{"hosts": [exposure.host], "secretName": secret}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": INGRESS,
        "metadata": metadata,
        "spec": body,
    }


def backend_weights(spec: DeploymentSpec) -> list[tuple[str, int]]:
    """(Service, weight) per track: the canary's weight is its percent of requests."""
    if not spec.has_canary:
        return [(spec.name, 100)]
    return [(spec.name, 100 - spec.canary_weight), (spec.canary_name, spec.canary_weight)]


def http_route(
    spec: DeploymentSpec, exposure: ExposureSpec, labels: dict[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": HTTP_ROUTE,
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": labels},
        "spec": {
            "parentRefs": [
                {
                    "group": GATEWAY_GROUP,
                    "kind": "Gateway",
                    "namespace": exposure.gateway_namespace,
                    "name": exposure.gateway_name,
                }
            ],
            "hostnames": [exposure.host],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [
                        {"name": name, "port": SERVICE_PORT, "weight": weight}
                        for name, weight in backend_weights(spec)
                    ],
                }
            ],
        },
    }


def route_problem(route: dict[str, Any] | None, gateway_found: bool | None) -> tuple[str, str]:
    """(reason, words) for why an applied HTTPRoute carries no traffic; ("", "") when
    nothing is known to be wrong. `gateway_found` is None when Gantry may not read it."""
    spec = (route or {}).get("spec") or {}
    parent = (spec.get("parentRefs") or [{}])[0]
    where = f"{parent.get('namespace', '')}/{parent.get('name', '')}"
    for status in ((route or {}).get("status") or {}).get("parents") or []:
        for condition in status.get("conditions") or []:
            if condition.get("type") == "Accepted" and condition.get("status") == "False":
                why = condition.get("message") or condition.get("reason") or "no reason given"
                return "RouteNotAccepted", f"Gateway {where} did not accept the HTTPRoute: {why}"
    if gateway_found is False:
        return "GatewayNotFound", (
            f'Waiting for Gateway {where}: gateways.gateway.networking.k8s.io "'
            f'{parent.get("name", "")}" not found in namespace {parent.get("namespace", "")}; '
            "a platform admin must create it or name another on the environment."
        )
    return "", ""
