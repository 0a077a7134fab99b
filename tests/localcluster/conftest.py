"""Clients for the tests of the local cluster (tests/fixtures/kube.py starts it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client

from tests.fixtures.kube import KubeCluster


@pytest.fixture(scope="session")
def api(kube_cluster: KubeCluster) -> Iterator[client.ApiClient]:
    with kube_cluster.api_client() as api_client:
        yield api_client


@pytest.fixture
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def apps(api: client.ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api)


@pytest.fixture
def autoscaling(api: client.ApiClient) -> client.AutoscalingV2Api:
    return client.AutoscalingV2Api(api)
