"""A deployment's addresses over the API: in the cluster always, outside it when its
environment exposes it; the environment's exposure settings are read-only here."""

import pytest

from apps.deployments import services


@pytest.fixture
def client(api, deployer):
    return api(deployer)


def test_every_deployment_has_its_in_cluster_url_and_no_external_one(client, deployment):
    body = client.get(f"/api/v1/deployments/{deployment.pk}/").json()

    assert body["urls"] == {
        "in_cluster": f"http://chat.{deployment.namespace}.svc.cluster.local:80",
        "external": None,
    }


def test_an_exposed_environment_gives_the_external_url_in_list_and_detail(
    client, deployment, environment
):
    environment.exposure = "ingress"
    environment.host_template = "{deployment}.{team}.{domain}"
    environment.domain = "models.example.com"
    environment.tls_issuer = "letsencrypt"
    environment.save()

    detail = client.get(f"/api/v1/deployments/{deployment.pk}/").json()
    (row,) = client.get("/api/v1/deployments/").json()["results"]

    expected = f"https://chat.{deployment.team.name}.models.example.com"
    assert detail["urls"]["external"] == expected
    assert row["urls"] == detail["urls"]


def test_an_action_answers_with_the_urls_too(client, deployment, deployer):
    services.stop(deployment, actor=deployer)
    body = client.post(f"/api/v1/deployments/{deployment.pk}/start/").json()
    assert body["urls"]["in_cluster"].startswith("http://chat.")


def test_environments_show_their_exposure(client, environment):
    environment.exposure = "httproute"
    environment.gateway = "gateway-system/public"
    environment.domain = "models.example.com"
    environment.save()

    (row,) = client.get("/api/v1/environments/").json()["results"]

    assert row["exposure"] == "httproute"
    assert row["gateway"] == "gateway-system/public"
    assert row["host_template"] == "{deployment}.{namespace}.{domain}"
