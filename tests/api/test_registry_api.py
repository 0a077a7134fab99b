"""Deleting versions and archiving models over the API (who may is in test_isolation)."""

import pytest

from apps.registry.models import Model, ModelVersion
from tests import factories


@pytest.fixture
def client(api, deployer):
    return api(deployer)


def test_an_archived_model_leaves_the_list_but_is_found_by_its_id(client, team):
    kept = factories.ModelFactory(team=team, name="kept")
    gone = factories.ModelFactory(team=team, name="gone")
    response = client.post(f"/api/v1/models/{gone.pk}/archive/")
    assert response.status_code == 200, response.content
    assert response.json()["archived_at"] is not None
    listed = client.get("/api/v1/models/").json()["results"]
    assert [row["id"] for row in listed] == [kept.pk]
    assert client.get(f"/api/v1/models/{gone.pk}/").json()["archived_at"] is not None


def test_archiving_a_model_in_use_is_a_400_naming_the_deployment(client, deployment):
    model = deployment.model_version.model
    response = client.post(f"/api/v1/models/{model.pk}/archive/")
    assert response.status_code == 400, response.content
    assert "versions in use" in response.json()["detail"]
    assert "by chat" in response.json()["detail"]
    assert Model.objects.get(pk=model.pk).archived_at is None


def test_an_unused_version_is_deleted_with_204(client, model_version):
    url = f"/api/v1/models/{model_version.model_id}/versions/{model_version.pk}/"
    response = client.delete(url)
    assert response.status_code == 204, response.content
    assert not ModelVersion.objects.filter(pk=model_version.pk).exists()
    assert client.get(url).status_code == 404


def test_deleting_a_version_in_use_is_a_400_and_it_stays(client, deployment):
    version = deployment.model_version
    response = client.delete(f"/api/v1/models/{version.model_id}/versions/{version.pk}/")
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"Version {version.version} is used by chat")
    assert ModelVersion.objects.filter(pk=version.pk).exists()
