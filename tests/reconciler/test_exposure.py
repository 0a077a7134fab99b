"""Exposure in the local cluster (which serves the Gateway API's CRDs, installed by
scripts/cluster/up.sh): the Ingress and the HTTPRoute with their hosts and weights, the
exact canary split, the Exposed condition's words, and pruning when exposure ends."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from apps.clusters import kube
from apps.deployments import reconciler, resync, services
from apps.deployments.choices import ConditionType
from apps.deployments.models import Deployment
from tests import factories
from tests.reconciler.conftest import converge, is_available, names, owned, run
from tests.reconciler.test_resync import sweep

pytestmark = pytest.mark.cluster

DOMAIN = "models.example.com"


@pytest.fixture
def gateway_namespace(cluster: kube.Cluster) -> Iterator[str]:
    name = f"gw{uuid.uuid4().hex[:8]}"
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    cluster.delete("Namespace", name)


def make_gateway(cluster: kube.Cluster, namespace: str, name: str = "public") -> None:
    """A Gateway object; no controller runs here, so nobody sets its status."""
    cluster.apply(
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "gatewayClassName": "example",
                "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
            },
        }
    )


def expose(environment, **settings: str) -> None:
    for field, value in {"host_template": "{deployment}.{namespace}.{domain}", **settings}.items():
        setattr(environment, field, value)
    environment.full_clean()
    environment.save()


def exposed(record) -> dict[str, Any]:
    return record.condition(ConditionType.EXPOSED) or {}


def backends(cluster: kube.Cluster, record) -> list[tuple[str, int]]:
    (route,) = owned(cluster, record, "HTTPRoute")
    return [(b["name"], b["weight"]) for b in route["spec"]["rules"][0]["backendRefs"]]


def versions(cluster: kube.Cluster, record, *kinds: str) -> dict[str, list[str]]:
    return {
        kind: sorted(o["metadata"]["resourceVersion"] for o in owned(cluster, record, kind))
        for kind in kinds
    }


def test_the_cluster_serves_the_gateway_api(cluster):
    assert cluster.serves("HTTPRoute")
    assert cluster.serves("Gateway")


def test_an_ingress_carries_the_host_and_the_url_is_shown(environment, make_deployment, cluster):
    expose(environment, exposure="ingress", domain=DOMAIN, ingress_class="nginx")
    record = converge(make_deployment(), is_available, what="an exposed deployment Available")

    (ingress,) = owned(cluster, record, "Ingress")
    host = f"chat.{record.namespace}.{DOMAIN}"
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [host]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert exposed(record)["status"] == "True", exposed(record)
    assert exposed(record)["reason"] == "IngressApplied"


@pytest.fixture
def routed(environment, make_deployment, cluster, gateway_namespace, model_version, deployer):
    """A deployment of 4 replicas behind an HTTPRoute, with a canary at 25 %."""
    make_gateway(cluster, gateway_namespace)
    expose(environment, exposure="httproute", domain=DOMAIN, gateway=f"{gateway_namespace}/public")
    record = make_deployment(replicas=4)
    canary = factories.ModelVersionFactory(model=model_version.model, version="v2")
    record = services.set_canary(record, actor=deployer, version=canary, weight=25)
    return converge(record, is_available, what="the routed canary Available", timeout=90)


def test_a_routed_canary_is_split_exactly_by_weight(routed, cluster, gateway_namespace):
    (route,) = owned(cluster, routed, "HTTPRoute")
    assert route["spec"]["hostnames"] == [f"chat.{routed.namespace}.{DOMAIN}"]
    assert route["spec"]["parentRefs"][0]["namespace"] == gateway_namespace
    assert backends(cluster, routed) == [("chat", 75), ("chat-canary", 25)]
    assert names(owned(cluster, routed, "Service")) == ["chat", "chat-canary"]
    assert exposed(routed)["status"] == "True", exposed(routed)
    assert "the canary gets exactly 25% of requests" in exposed(routed)["message"]


def test_a_new_canary_weight_changes_the_route_weights_and_no_service(routed, cluster, deployer):
    services_before = versions(cluster, routed, "Service", "Ingress")
    templates_before = {
        d["metadata"]["name"]: d["spec"]["template"] for d in owned(cluster, routed, "Deployment")
    }

    record = services.set_canary(routed, actor=deployer, version=routed.canary_version, weight=60)
    record = run(record)

    assert backends(cluster, record) == [("chat", 40), ("chat-canary", 60)]
    assert versions(cluster, record, "Service", "Ingress") == services_before
    templates_after = {
        d["metadata"]["name"]: d["spec"]["template"] for d in owned(cluster, record, "Deployment")
    }
    assert templates_after == templates_before, "the pods were rolled for a weight change"


def test_a_missing_gateway_is_said_and_heals_when_it_comes(
    environment, make_deployment, cluster, gateway_namespace, cluster_record
):
    expose(environment, exposure="httproute", domain=DOMAIN, gateway=f"{gateway_namespace}/edge")
    record = converge(make_deployment(), is_available, what="Available without its Gateway")

    assert exposed(record)["status"] == "False"
    assert exposed(record)["reason"] == "GatewayNotFound"
    assert (
        f'Waiting for Gateway {gateway_namespace}/edge: gateways.gateway.networking.k8s.io "edge" '
        "not found" in exposed(record)["message"]
    )
    assert is_available(record), "a missing way in does not make the model unavailable"

    make_gateway(cluster, gateway_namespace, "edge")
    plan = sweep(cluster_record)

    assert record.pk in plan.observe
    record.refresh_from_db()
    assert exposed(record)["status"] == "True", exposed(record)


def test_ending_exposure_prunes_the_route_and_the_canary_service(
    routed, environment, cluster, cluster_record
):
    environment.exposure = "none"
    environment.save()

    plan = sweep(cluster_record)
    record = run(routed)

    assert any(gone.startswith("HTTPRoute") for gone in plan.deleted), plan.deleted
    assert owned(cluster, record, "HTTPRoute") == []
    assert names(owned(cluster, record, "Service")) == ["chat"]
    (service,) = owned(cluster, record, "Service")
    assert "gantry.dev/track" not in service["spec"]["selector"]
    assert exposed(record)["reason"] == "NotExposed"
    assert not any(key.startswith("HTTPRoute/") for key in record.applied_objects)
    sweep(cluster_record)  # settle status changes seen since the last look
    assert record.pk not in resync.resync_cluster(cluster_record).observe, "looked at forever"


def test_a_converged_exposed_fleet_needs_nothing_from_resync(routed, cluster_record, cluster):
    sweep(cluster_record)  # settle status changes seen since the last look
    before = versions(cluster, routed, "HTTPRoute", "Service", "Deployment")

    plan = resync.resync_cluster(cluster_record)

    assert (plan.reconcile, plan.observe, plan.namespaces, plan.deleted) == (
        set(),
        set(),
        set(),
        [],
    )
    assert versions(cluster, routed, "HTTPRoute", "Service", "Deployment") == before


def test_deleting_removes_the_route(routed, deployer, cluster):
    services.request_delete(routed, actor=deployer)
    deadline = time.monotonic() + 60
    while Deployment.objects.filter(pk=routed.pk).exists() and time.monotonic() < deadline:
        reconciler.reconcile(routed.pk)
        time.sleep(0.5)
    assert not Deployment.objects.filter(pk=routed.pk).exists(), "the record never went"
    assert owned(cluster, routed, "HTTPRoute") == []
