"""Deployments over the API: representation, actions, and bad input answered with 400s."""

from datetime import UTC, datetime

import pytest

from apps.deployments import services
from apps.deployments.api import DeploymentSerializer, name_annotations
from apps.deployments.models import Deployment
from apps.quotas.models import Quota, QuotaLimit
from tests import factories
from tests.api.conftest import H100


@pytest.fixture
def client(api, deployer):
    return api(deployer)


def create_body(team, environment, model_version, /, **overrides):
    body = {
        "team": team.pk,
        "environment": environment.pk,
        "name": "chat",
        "model_version": model_version.pk,
        "replicas": 2,
        "cpu": "2",
        "memory": "16Gi",
        "gpu_count": 1,
        "gpu_model": H100,
    }
    body.update(overrides)
    return body


def test_create_answers_201_with_spec_and_status(client, team, environment, model_version):
    response = client.post(
        "/api/v1/deployments/", create_body(team, environment, model_version), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["replicas"], body["state"], body["team_name"]) == (
        "chat",
        2,
        "running",
        "nlp",
    )
    assert body["status"] == {
        "generation": 1,
        "observed_generation": 0,
        "conditions": [],
        "ready_replicas": 0,
        "updated_replicas": 0,
        "available_replicas": 0,
        "last_error": "",
        "last_synced_at": None,
    }


def test_status_shows_conditions_with_reasons_and_messages(client, deployment):
    condition = {
        "type": "Available",
        "status": "False",
        "reason": "MinimumReplicasUnavailable",
        "message": "0 of 1 replicas ready",
    }
    Deployment.objects.filter(pk=deployment.pk).update(conditions=[condition])
    body = client.get(f"/api/v1/deployments/{deployment.pk}/").json()
    assert body["status"]["conditions"] == [condition]


BAD_INPUT = [
    ({"name": "Chat Bot"}, "name", "not a valid Kubernetes name"),
    ({"cpu": "two"}, "cpu", "not a Kubernetes quantity"),
    ({"memory": "-4Gi"}, "memory", "not a Kubernetes quantity"),
    ({"gpu_model": "NVIDIA-GTX-1080"}, "gpu_model", "not a GPU model this installation offers"),
    (
        {"gpu_model": "", "mig_profile": "9g.99gb"},
        "mig_profile",
        "not a MIG profile this installation offers",
    ),
    (
        {"min_replicas": 5, "max_replicas": 2, "autoscaling_target": 70},
        "min_replicas",
        "min_replicas (5) is more than max_replicas (2)",
    ),
    ({"replicas": -1}, "replicas", "replicas must be a whole number, 0 or more, e.g. 2."),
    ({"replicas": "many"}, "replicas", "replicas must be a whole number, 0 or more, e.g. 2."),
    ({"gpu_count": 2**40}, "gpu_count", "from 0 to 2147483647, e.g. 1."),
    ({"model_version": 999999}, "model_version", "There is no model version with id 999999"),
    ({"environment": "dev"}, "environment", "Give the environment's id as a whole number"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "message"), BAD_INPUT, ids=[b[1] for b in BAD_INPUT]
)
def test_bad_create_input_answers_400_naming_the_field(
    client, team, environment, model_version, overrides, field, message
):
    body = create_body(team, environment, model_version, **overrides)
    response = client.post("/api/v1/deployments/", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["error"] == "invalid"
    assert message in " ".join(error["fields"][field])
    assert not Deployment.objects.exists()


def test_a_version_of_another_teams_model_is_refused(client, team, environment, other_team):
    foreign = factories.ModelVersionFactory(model__team=other_team)
    response = client.post(
        "/api/v1/deployments/", create_body(team, environment, foreign), format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["model_version"] == [
        f"There is no model version with id {foreign.pk} that you may use here."
    ]


def test_a_duplicate_name_is_a_400_not_a_500(client, deployment, team, environment, model_version):
    response = client.post(
        "/api/v1/deployments/", create_body(team, environment, model_version), format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["name"] == [
        "A deployment named 'chat' already exists in environment 'development'; "
        "choose another name."
    ]


def test_quota_refusal_answers_409_with_the_numbers(client, team, environment, model_version):
    quota = Quota.objects.create(team=team)
    QuotaLimit.objects.create(quota=quota, resource=H100, limit=8)
    body = create_body(team, environment, model_version, replicas=9)
    response = client.post("/api/v1/deployments/", body, format="json")
    assert response.status_code == 409
    message = f"quota exceeded for {H100}: limit 8, in use 0, requested 9"
    assert response.json() == {
        "error": "quota_exceeded",
        "detail": message,
        "fields": {"gpu_count": [message]},
    }


def test_a_quota_refusal_names_each_field_over_its_limit(client, team, environment, model_version):
    Quota.objects.create(team=team, replicas=2, memory="32Gi")
    body = create_body(
        team, environment, model_version, replicas=3, memory="16Gi", gpu_count=0, gpu_model=""
    )
    response = client.post("/api/v1/deployments/", body, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["fields"] == {
        "memory": ["quota exceeded for memory: limit 32Gi, in use 0, requested 48Gi"],
        "replicas": ["quota exceeded for replicas: limit 2, in use 0, requested 3"],
    }


def test_scale_then_rollback_over_the_api(client, deployment):
    url = f"/api/v1/deployments/{deployment.pk}/"
    assert client.post(url + "scale/", {"replicas": 4}, format="json").json()["replicas"] == 4
    rolled = client.post(url + "rollback/", {"revision": 1}, format="json").json()
    assert (rolled["replicas"], rolled["status"]["generation"]) == (1, 3)
    numbers = [r["number"] for r in client.get(url + "revisions/").json()["results"]]
    assert numbers == [3, 2, 1]


def test_rollback_to_an_unknown_revision_is_a_400(client, deployment):
    response = client.post(
        f"/api/v1/deployments/{deployment.pk}/rollback/", {"revision": 42}, format="json"
    )
    assert response.status_code == 400
    assert "has no revision 42" in response.json()["fields"]["revision"][0]


@pytest.mark.parametrize("weight", [-5, 101])
def test_a_canary_weight_outside_0_to_100_is_a_400(client, deployment, canary_version, weight):
    response = client.post(
        f"/api/v1/deployments/{deployment.pk}/canary/",
        {"version": canary_version.pk, "weight": weight},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["weight"] == [
        "weight must be a whole number from 0 to 100, e.g. 10."
    ]


@pytest.mark.parametrize(
    ("action", "body", "message"),
    [
        ("scale/", {"replicas": -2}, "replicas must be a whole number, 0 or more, e.g. 2."),
        ("rollback/", {"revision": "first"}, "revision must be a whole number, 1 or more, e.g. 1."),
    ],
)
def test_number_errors_state_the_range_with_an_example(client, deployment, action, body, message):
    response = client.post(f"/api/v1/deployments/{deployment.pk}/{action}", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["fields"] == {next(iter(body)): [message]}


def test_canary_promote_and_the_audit_trail(client, deployment, canary_version):
    url = f"/api/v1/deployments/{deployment.pk}/"
    client.post(url + "canary/", {"version": canary_version.pk, "weight": 25}, format="json")
    promoted = client.post(url + "promote/").json()
    assert (promoted["model_version"], promoted["canary_version"]) == (canary_version.pk, None)
    verbs = [e["message"] for e in client.get(url + "events/").json()["results"]]
    assert verbs[0] == (
        f"Generation 3: promoted canary v2 (model version {deployment.model_version.version} "
        "→ v2, canary version v2 → none, canary weight 25 → 0)."
    )


def test_stop_and_start_over_the_api(client, deployment):
    url = f"/api/v1/deployments/{deployment.pk}/"
    assert client.post(url + "stop/").json()["state"] == "stopped"
    assert client.post(url + "start/").json()["state"] == "running"


def test_delete_answers_202_and_marks_deleting(client, deployment):
    response = client.delete(f"/api/v1/deployments/{deployment.pk}/")
    assert response.status_code == 202
    assert response.json()["state"] == "deleting"
    assert Deployment.objects.filter(pk=deployment.pk).exists()


def test_scale_needs_a_count_or_bounds(client, deployment):
    response = client.post(f"/api/v1/deployments/{deployment.pk}/scale/", {}, format="json")
    assert response.status_code == 400
    assert "not both, not neither" in response.json()["fields"]["replicas"][0]


def test_lists_filter_by_state_and_team(client, deployment, deployer, team, environment):
    other = factories.ModelVersionFactory(model__team=team)
    second = client.post(
        "/api/v1/deployments/", create_body(team, environment, other, name="b"), format="json"
    ).json()
    client.post(f"/api/v1/deployments/{second['id']}/stop/")
    stopped = client.get("/api/v1/deployments/", {"state": "stopped", "team": team.pk}).json()
    assert [d["name"] for d in stopped["results"]] == ["b"]
    ordered = client.get("/api/v1/deployments/", {"ordering": "-name"}).json()
    assert [d["name"] for d in ordered["results"]] == ["chat", "b"]


def test_an_invalid_filter_value_is_a_400(client, deployment):
    response = client.get("/api/v1/deployments/", {"state": "sleeping"})
    assert response.status_code == 400
    assert "state" in response.json()["fields"]


def test_a_version_in_use_is_immutable_but_its_description(client, deployment):
    version = deployment.model_version
    url = f"/api/v1/models/{version.model_id}/versions/{version.pk}/"
    refused = client.patch(url, {"artifact_uri": "s3://other/weights/"}, format="json")
    assert refused.status_code == 400
    assert "cannot change" in refused.json()["fields"]["artifact_uri"][0]
    described = client.patch(url, {"description": "the good one"}, format="json")
    assert described.json()["description"] == "the good one"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"artifact_uri": "ftp://host/x"}, "artifact_uri", "uses the scheme 'ftp'"),
        ({"image": "Not An Image"}, "image", "not a container image reference"),
        ({"version": "V_1"}, "version", "not a valid Kubernetes name"),
    ],
)
def test_bad_version_input_answers_400(client, model_version, overrides, field, message):
    body = {"version": "v9", "artifact_uri": "s3://bucket/m/", **overrides}
    response = client.post(
        f"/api/v1/models/{model_version.model_id}/versions/", body, format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["fields"][field][0]


def test_team_quota_report_lists_limit_used_and_free(client, deployment, team):
    quota = Quota.objects.create(team=team, replicas=10)
    QuotaLimit.objects.create(quota=quota, resource=H100, limit=8)
    body = client.get(f"/api/v1/teams/{team.pk}/quota/").json()
    rows = {row["resource"]: row for row in body["resources"]}
    assert rows[H100] == {
        "resource": H100,
        "kind": "gpu_model",
        "limit": "8",
        "used": "1",
        "free": "7",
    }
    assert rows["replicas"]["free"] == "9"


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("0302-07-08T08:18:13.015-22:51", 200),  # an offset PostgreSQL itself would refuse
        ("0001-01-01T00:00:00+23:00", 400),  # before year 1 once in UTC
        ("yesterday", 400),
    ],
)
def test_event_time_filters_take_any_iso_time_or_say_why_not(client, deployment, since, status):
    response = client.get("/api/v1/events/", {"since": since})
    assert response.status_code == status, response.content
    if status == 400:
        assert "since" in response.json()["fields"]


def test_the_written_out_representation_equals_drfs_rendering_of_the_fields(
    deployment, deployer, canary_version
):
    services.set_canary(deployment, actor=deployer, version=canary_version, weight=30)
    services.scale(
        deployment, actor=deployer, min_replicas=1, max_replicas=3, autoscaling_target=60
    )
    Deployment.objects.filter(pk=deployment.pk).update(
        conditions=[{"type": "Synced", "status": "True", "reason": "Applied", "message": "ok"}],
        last_synced_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        ready_replicas=2,
        last_error="quota in namespace",
    )
    row = Deployment.objects.annotate(**name_annotations()).get(pk=deployment.pk)
    serializer = DeploymentSerializer(row)
    drf_rendering = super(DeploymentSerializer, serializer).to_representation(row)
    assert serializer.to_representation(row) == drf_rendering
