"""Stopping and starting one component, as tests of API outages do."""

from __future__ import annotations

import pytest
import urllib3
from kubernetes import client

from tests.fixtures.kube import KubeCluster, component_stopped

pytestmark = pytest.mark.cluster


def test_kube_apiserver_restarts_on_the_same_address_with_its_data(
    kube_cluster: KubeCluster, core: client.CoreV1Api, kube_namespace: str
) -> None:
    core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "kept"}, "data": {"k": "v"}}
    )

    with component_stopped("kube-apiserver"), kube_cluster.api_client() as offline:
        offline.configuration.retries = False
        with pytest.raises(urllib3.exceptions.HTTPError):
            client.CoreV1Api(offline).list_namespace(_request_timeout=2)

    kept = core.read_namespaced_config_map("kept", kube_namespace)
    assert kept.data == {"k": "v"}
