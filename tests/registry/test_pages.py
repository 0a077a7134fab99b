"""The Models pages through Django's test client: scoping, roles, forms, query counts."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.deployments import services as deployments
from apps.deployments.models import Event
from apps.registry import services
from apps.registry.models import Model, ModelVersion
from apps.registry.runtimes import PRESETS
from tests import factories

VALID_VERSION = {
    "version": "v2",
    "artifact_uri": "s3://models/llama/v2/",
    "runtime": "triton",
    "image": PRESETS["triton"].image,
    "port": "8000",
    "health_path": "/v2/health/ready",
    "default_cpu": "2",
    "default_memory": "16Gi",
    "default_gpu_count": "1",
    "description": "",
}


def _model_data(team, name: str) -> dict:
    return {"team": team.pk, "name": name, "task": "embedding", "framework": "pytorch"}


@pytest.fixture
def model(team):
    return factories.ModelFactory(team=team, name="llama", description="A chat model.")


@pytest.fixture
def foreign_model(other_team):
    return factories.ModelFactory(team=other_team, name="yolo")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _deploy(deployer, team, environment, version, name: str):
    return deployments.create_deployment(
        actor=deployer, team=team, environment=environment, name=name, model_version=version
    )


def _count_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return len(queries)


# The list


def test_the_list_shows_my_teams_models_with_latest_version_and_deployments(
    deployer, team, environment, model, foreign_model
):
    factories.ModelVersionFactory(model=model, version="v1")
    latest = factories.ModelVersionFactory(model=model, version="v7")
    _deploy(deployer, team, environment, latest, "chat")
    _deploy(deployer, team, environment, latest, "chat-2")
    response = _client(deployer).get("/models/")
    row = next(m for m in response.context["page"].object_list if m.pk == model.pk)
    assert (row.latest_version, row.deployment_count) == ("v7", 2)
    assert "yolo" not in response.content.decode(), "another team's model is listed"


def test_the_list_filters_by_team_and_name_in_the_url(deployer, team, model):
    other = factories.TeamFactory(name="speech")
    factories.member(other, "viewer", username=deployer.username)
    factories.ModelFactory(team=other, name="whisper")
    factories.ModelFactory(team=team, name="mistral")
    client = _client(deployer)
    by_team = client.get(f"/models/?team={other.pk}").context["page"].object_list
    assert [m.name for m in by_team] == ["whisper"]
    by_name = client.get("/models/?name=LLA").context["page"].object_list
    assert [m.name for m in by_name] == ["llama"]


def test_a_bad_team_filter_is_explained_not_a_500(deployer, model):
    response = _client(deployer).get("/models/?team=abc")
    assert response.status_code == 200
    assert "Give the team&#x27;s id as a whole number" in response.content.decode()
    assert not response.context["page"].object_list


def test_the_list_pages_by_25_and_its_links_keep_the_filters(deployer, team):
    for i in range(30):
        factories.ModelFactory(team=team, name=f"ranker-{i:02d}")
    response = _client(deployer).get("/models/?name=ranker&page=2")
    assert [m.name for m in response.context["page"].object_list] == [
        f"ranker-{i:02d}" for i in range(25, 30)
    ]
    assert 'href="?name=ranker&amp;page=1"' in response.content.decode()


def test_the_list_costs_the_same_queries_for_5_and_50_models(deployer, team, environment):
    client = _client(deployer)

    def add_models(count: int) -> None:
        for _ in range(count):
            version = factories.ModelVersionFactory(model__team=team)
            _deploy(deployer, team, environment, version, f"d-{version.pk}")

    add_models(5)
    few = _count_queries(client, "/models/")
    add_models(45)
    assert _count_queries(client, "/models/") == few


# A model's page


def test_the_model_page_shows_versions_and_the_deployments_running_them(
    deployer, team, environment, model
):
    version = factories.ModelVersionFactory(
        model=model, version="v1", artifact_uri="hf://meta-llama/Llama-3-8B", created_by=deployer
    )
    deployment = _deploy(deployer, team, environment, version, "chat")
    page = _client(deployer).get(f"/models/{model.pk}/").content.decode()
    assert "A chat model." in page
    assert "hf://meta-llama/Llama-3-8B" in page
    assert PRESETS["vllm"].image in page, "the image the version runs is not shown"
    assert f'href="/deployments/{deployment.pk}/"' in page, "no link to the deployment"
    assert "Running" in page


def test_the_model_page_costs_the_same_queries_for_5_and_50_versions(
    deployer, team, environment, model
):
    client = _client(deployer)

    def add_versions(count: int) -> None:
        for _ in range(count):
            version = factories.ModelVersionFactory(model=model, created_by=deployer)
            _deploy(deployer, team, environment, version, f"d-{version.pk}")

    add_versions(5)
    few = _count_queries(client, f"/models/{model.pk}/")
    add_versions(45)
    assert _count_queries(client, f"/models/{model.pk}/") == few


def test_a_deployer_sees_the_register_buttons_and_a_viewer_none(deployer, teammate, model):
    factories.ModelVersionFactory(model=model)
    assert "Register a version" in _client(deployer).get(f"/models/{model.pk}/").content.decode()
    for path in ("/models/", f"/models/{model.pk}/"):
        page = _client(teammate).get(path).content.decode()
        assert "Register a" not in page, f"a viewer is offered a form on {path}"


def test_an_outsider_gets_404_for_a_model_and_its_version_form(outsider, model):
    client = _client(outsider)
    assert client.get(f"/models/{model.pk}/").status_code == 404
    assert client.get(f"/models/{model.pk}/versions/new/").status_code == 404
    response = client.post(f"/models/{model.pk}/versions/new/", VALID_VERSION)
    assert response.status_code == 404
    assert not ModelVersion.objects.exists()


# Forms: roles and CSRF


def test_a_viewer_gets_403_for_the_forms_and_writes_nothing(teammate, team, model):
    client = _client(teammate)
    assert client.get("/models/new/").status_code == 403
    assert client.post("/models/new/", _model_data(team, "x")).status_code == 403
    assert client.get(f"/models/{model.pk}/versions/new/").status_code == 403
    assert client.post(f"/models/{model.pk}/versions/new/", VALID_VERSION).status_code == 403
    assert list(Model.objects.values_list("name", flat=True)) == ["llama"]
    assert not ModelVersion.objects.exists()


def test_a_post_without_csrf_token_is_refused(deployer, team, model):
    client = Client(enforce_csrf_checks=True)
    client.force_login(deployer)
    assert client.post("/models/new/", _model_data(team, "new")).status_code == 403
    assert client.post(f"/models/{model.pk}/versions/new/", VALID_VERSION).status_code == 403
    assert not Model.objects.filter(name="new").exists()
    assert not ModelVersion.objects.exists()


def test_a_team_i_may_not_register_in_is_refused_on_its_field(deployer, other_team):
    response = _client(deployer).post("/models/new/", _model_data(other_team, "sneaky"))
    assert "team" in response.context["form"].errors
    assert not Model.objects.filter(name="sneaky").exists()


# Forms: success and per-field errors


def test_registering_a_model_redirects_to_its_page_with_a_message(deployer, team):
    client = _client(deployer)
    response = client.post("/models/new/", _model_data(team, "bert"), follow=True)
    model = Model.objects.get(name="bert")
    assert response.redirect_chain == [(f"/models/{model.pk}/", 302)]
    assert "Registered model bert in team nlp." in response.content.decode()
    assert Event.objects.filter(target=f"model/{model}", verb="create").exists()


def test_a_bad_model_name_is_shown_on_its_field_and_nothing_is_saved(deployer, team):
    response = _client(deployer).post("/models/new/", _model_data(team, "Bad Name!"))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    assert not Model.objects.exists()


def test_a_taken_model_name_is_shown_on_the_name_field(deployer, team, model):
    response = _client(deployer).post("/models/new/", _model_data(team, "llama"))
    errors = response.context["form"].errors
    assert list(errors) == ["name"], errors
    assert "already has a model named 'llama'" in errors["name"][0]
    assert Model.objects.count() == 1


def test_registering_a_version_saves_what_the_form_says(deployer, model):
    response = _client(deployer).post(f"/models/{model.pk}/versions/new/", VALID_VERSION)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/models/{model.pk}/"
    version = ModelVersion.objects.get(model=model)
    assert (version.runtime, version.port, version.default_gpu_count) == ("triton", 8000, 1)
    assert version.created_by == deployer


def test_the_version_form_starts_with_the_default_runtimes_preset(deployer, model):
    response = _client(deployer).get(f"/models/{model.pk}/versions/new/")
    form = response.context["form"]
    assert form["image"].value() == PRESETS["vllm"].image
    assert 'id="runtime-presets"' in response.content.decode(), "the script has no presets"


def test_bad_version_fields_are_shown_each_on_its_field_and_nothing_is_saved(deployer, model):
    bad = {**VALID_VERSION, "artifact_uri": "ftp://x/y", "image": "Bad Image", "port": "70000"}
    response = _client(deployer).post(f"/models/{model.pk}/versions/new/", bad)
    errors = response.context["form"].errors
    assert set(errors) == {"artifact_uri", "image", "port"}, errors
    assert "Nothing was saved" in response.content.decode()
    assert not ModelVersion.objects.exists()
    assert not Event.objects.filter(target__startswith="modelversion/").exists()


def test_a_port_that_is_not_a_number_is_shown_on_the_port_field(deployer, model):
    response = _client(deployer).post(
        f"/models/{model.pk}/versions/new/", {**VALID_VERSION, "port": "eighty"}
    )
    assert list(response.context["form"].errors) == ["port"]
    assert not ModelVersion.objects.exists()


def test_a_custom_runtime_without_image_is_refused_on_the_image_field(deployer, model):
    data = {**VALID_VERSION, "runtime": "custom", "image": ""}
    response = _client(deployer).post(f"/models/{model.pk}/versions/new/", data)
    assert "needs an image" in response.context["form"].errors["image"][0]
    assert not ModelVersion.objects.exists()


def test_a_taken_version_label_is_shown_on_the_version_field(deployer, model):
    factories.ModelVersionFactory(model=model, version="v2")
    response = _client(deployer).post(f"/models/{model.pk}/versions/new/", VALID_VERSION)
    errors = response.context["form"].errors
    assert list(errors) == ["version"], errors
    assert "already has a version 'v2'" in errors["version"][0]
    assert ModelVersion.objects.count() == 1


def test_an_archived_models_version_form_says_why_it_refuses(deployer, model):
    services.archive_model(model, actor=deployer)
    response = _client(deployer).post(f"/models/{model.pk}/versions/new/", VALID_VERSION)
    assert "is archived" in response.content.decode()
    assert not ModelVersion.objects.exists()
