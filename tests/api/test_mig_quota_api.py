"""MIG slices count toward a team's GPU total as their share of a GPU, over the API."""

import pytest

from apps.quotas.models import Quota, QuotaLimit
from tests.api.conftest import H100


@pytest.fixture
def client(api, deployer):
    return api(deployer)


@pytest.fixture
def create(client, team, environment, model_version):
    def create(name: str, replicas: int, *, mig_profile: str = "", gpu_model: str = ""):
        body = {
            "team": team.pk,
            "environment": environment.pk,
            "name": name,
            "model_version": model_version.pk,
            "replicas": replicas,
            "gpu_count": 1,
            "gpu_model": gpu_model,
            "mig_profile": mig_profile,
        }
        return client.post("/api/v1/deployments/", body, format="json")

    return create


def _report(client, team) -> dict[str, dict]:
    body = client.get(f"/api/v1/teams/{team.pk}/quota/").json()
    return {row["resource"]: row for row in body["resources"]}


def test_one_gpu_takes_seven_1g_10gb_slices_but_not_an_eighth(client, create, team):
    Quota.objects.create(team=team, gpus_total=1)
    assert create("seven", 7, mig_profile="1g.10gb").status_code == 201
    refused = create("eighth", 1, mig_profile="1g.10gb")
    assert refused.status_code == 409, refused.content
    assert refused.json()["error"] == "quota_exceeded"
    assert "quota exceeded for gpus: limit 1, in use 1, requested 1/7" in refused.json()["detail"]
    report = _report(client, team)
    assert report["gpus"] == {
        "resource": "gpus",
        "kind": "gpus",
        "limit": "1",
        "used": "1",
        "free": "0",
    }
    assert (report["1g.10gb"]["kind"], report["1g.10gb"]["used"]) == ("mig_profile", "7")


def test_whole_gpus_and_slices_share_the_gpu_total(client, create, team):
    Quota.objects.create(team=team, gpus_total=2)
    assert create("whole", 1, gpu_model=H100).status_code == 201
    assert create("halves", 2, mig_profile="3g.40gb").status_code == 201
    report = _report(client, team)
    assert (report["gpus"]["used"], report["gpus"]["free"]) == ("13/7", "1/7")
    assert create("last-seventh", 1, mig_profile="1g.10gb").status_code == 201
    refused = create("too-many", 1, mig_profile="1g.10gb")
    assert refused.status_code == 409
    assert "quota exceeded for gpus: limit 2, in use 2, requested 1/7" in refused.json()["detail"]
    # Scaling whole GPUs up is refused too: the slices hold their share.
    whole = client.get("/api/v1/deployments/", {"name": "whole"}).json()["results"][0]
    scaled = client.patch(f"/api/v1/deployments/{whole['id']}/", {"replicas": 2}, format="json")
    assert scaled.status_code == 409
    assert "limit 2, in use 1, requested 2" in scaled.json()["detail"]


def test_a_profile_limit_still_counts_slices(client, create, team):
    quota = Quota.objects.create(team=team, gpus_total=8)
    QuotaLimit.objects.create(
        quota=quota, kind=QuotaLimit.Kind.MIG_PROFILE, resource="1g.10gb", limit=3
    )
    assert create("three", 3, mig_profile="1g.10gb").status_code == 201
    refused = create("fourth", 1, mig_profile="1g.10gb")
    assert refused.status_code == 409
    assert "quota exceeded for 1g.10gb: limit 3, in use 3, requested 1" in refused.json()["detail"]
    assert _report(client, team)["gpus"]["used"] == "3/7"
