"""The deploy page (/deployments/new/) and its previews, through Django's test client.

The environment's cluster record points at a kubeconfig that does not exist, so
these pages take the "cluster cannot be reached" path: the configured GPU lists.
tests/browser/test_deploy.py covers the live cluster.
"""

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.models import Membership
from apps.deployments.models import Deployment
from apps.quotas.models import Quota, QuotaLimit
from tests import factories

H100 = "NVIDIA-H100-80GB-HBM3"
NEW = reverse("deployments:new")
PREVIEW = reverse("deployments:preview")


@pytest.fixture(autouse=True)
def _no_cached_nodes(settings):
    settings.GANTRY_CLUSTER_NODES_CACHE_S = 0


@pytest.fixture
def as_user(client):
    def sign_in(user) -> Client:
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def quota(team):
    quota = Quota.objects.create(team=team, replicas=20)
    QuotaLimit.objects.create(quota=quota, resource=H100, limit=8)
    return quota


def form_data(model_version, environment, **changes):
    data = {
        "model_version": model_version.pk,
        "environment": environment.pk,
        "name": "chat",
        "scaling": "fixed",
        "replicas": 1,
        "autoscaling_metric": "cpu",
        "gpu_kind": "gpu",
        "gpu_model": H100,
        "gpu_count": 1,
        "cpu": "2",
        "memory": "16Gi",
    }
    data.update(changes)
    return data


def test_the_page_offers_my_versions_and_my_teams_environments(
    as_user, deployer, model_version, environment, outsider
):
    theirs = factories.ModelVersionFactory(model__team=outsider.memberships.first().team)
    page = as_user(deployer).get(NEW)
    assert page.status_code == 200
    text = page.content.decode()
    assert f'<option value="{model_version.pk}"' in text
    assert f'<option value="{environment.pk}"' in text
    assert f'<option value="{theirs.pk}"' not in text, "another team's version is offered"
    assert "Choose a model version to see its team" in text


def test_a_version_in_the_url_is_preselected(as_user, deployer, model_version, environment):
    page = as_user(deployer).get(NEW, {"version": model_version.pk})
    assert f'<option value="{model_version.pk}" selected>' in page.content.decode()


def test_another_teams_version_in_the_url_is_not_found(as_user, outsider, model_version):
    assert as_user(outsider).get(NEW, {"version": model_version.pk}).status_code == 404
    assert as_user(outsider).get(NEW, {"version": "x"}).status_code == 404


def test_a_viewer_is_refused_reading_and_posting(as_user, teammate, model_version, environment):
    client = as_user(teammate)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form_data(model_version, environment)).status_code == 403
    assert client.post(PREVIEW, form_data(model_version, environment)).status_code == 403
    assert not Deployment.objects.exists()


def test_a_version_of_a_team_where_i_only_view_is_refused(as_user, deployer, other_team):
    Membership.objects.create(user=deployer, team=other_team, role=Role.VIEWER)
    theirs = factories.ModelVersionFactory(model__team=other_team)
    client = as_user(deployer)
    assert client.get(NEW, {"version": theirs.pk}).status_code == 403
    text = client.get(NEW).content.decode()
    assert f'<option value="{theirs.pk}"' not in text, (
        "a version the user may not deploy is offered"
    )


def test_an_unreachable_cluster_falls_back_to_the_configured_lists_and_says_so(
    as_user, deployer, model_version, environment
):
    data = {**form_data(model_version, environment), "_refresh": "1"}
    page = as_user(deployer).post(NEW, data, headers={"HX-Request": "true"})
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="deploy-form"' in text
    assert "<html" not in text, "an htmx refresh got the whole page"
    assert "Cluster &#x27;local&#x27; cannot be reached right now" in text
    assert "NVIDIA-L4" in text, "configured GPU models are not offered"
    assert "1g.10gb" in text, "configured MIG profiles are not offered"
    assert not Deployment.objects.exists(), "a refresh created a deployment"


def test_deploying_creates_through_the_service_and_lands_on_the_deployment(
    as_user, deployer, model_version, environment
):
    response = as_user(deployer).post(NEW, form_data(model_version, environment), follow=False)
    created = Deployment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/deployments/{created.pk}/"
    assert (created.gpu_count, created.gpu_model, created.cpu, created.memory) == (
        1,
        H100,
        "2",
        "16Gi",
    )
    assert created.team == model_version.model.team
    assert created.revisions.count() == 1
    assert created.created_by == deployer


def test_autoscaling_and_mig_reach_the_service(as_user, deployer, model_version, environment):
    data = form_data(
        model_version,
        environment,
        scaling="autoscale",
        min_replicas=1,
        max_replicas=3,
        autoscaling_target=70,
        gpu_kind="mig",
        mig_profile="1g.10gb",
        gpu_count=2,
    )
    assert as_user(deployer).post(NEW, data).status_code == 302
    created = Deployment.objects.get()
    assert (created.min_replicas, created.max_replicas, created.autoscaling_target) == (1, 3, 70)
    assert (created.mig_profile, created.gpu_model, created.gpu_count) == ("1g.10gb", "", 2)


def test_the_services_errors_show_beside_their_fields_and_nothing_is_created(
    as_user, deployer, model_version, environment
):
    data = form_data(model_version, environment, name="Not_A_Label", cpu="lots")
    page = as_user(deployer).post(NEW, data)
    assert page.status_code == 400
    errors = page.context["form"].errors
    assert errors["name"][0].startswith("'Not_A_Label' is not a valid Kubernetes name")
    assert errors["cpu"][0].startswith("'lots' is not a Kubernetes quantity")
    assert not Deployment.objects.exists()


def test_autoscaling_without_bounds_asks_for_them(as_user, deployer, model_version, environment):
    page = as_user(deployer).post(NEW, form_data(model_version, environment, scaling="autoscale"))
    assert page.context["form"].errors["max_replicas"] == [
        "Autoscaling needs a minimum and a maximum, e.g. 1 and 4."
    ]
    assert not Deployment.objects.exists()


def test_a_taken_name_is_refused_by_the_service_beside_the_name(
    as_user, deployer, model_version, environment, deployment
):
    page = as_user(deployer).post(NEW, form_data(model_version, environment, name="chat"))
    assert page.context["form"].errors["name"] == [
        "A deployment named 'chat' already exists in environment 'development'; "
        "choose another name."
    ]
    assert Deployment.objects.count() == 1


def test_over_quota_is_refused_with_the_quota_message_and_creates_nothing(
    as_user, deployer, model_version, environment, quota
):
    page = as_user(deployer).post(NEW, form_data(model_version, environment, gpu_count=9))
    assert page.status_code == 400
    assert page.context["form"].errors["gpu_count"] == [
        f"quota exceeded for {H100}: limit 8, in use 0, requested 9"
    ]
    assert not Deployment.objects.exists()


def test_another_teams_environment_is_an_invalid_choice_that_names_nothing(
    as_user, deployer, model_version, environment, other_team
):
    theirs = factories.EnvironmentFactory(name="vision-secret-env")
    theirs.teams.add(other_team)
    page = as_user(deployer).post(NEW, form_data(model_version, theirs))
    assert page.status_code == 400
    assert "environment" in page.context["form"].errors
    assert "vision-secret-env" not in page.content.decode()
    assert not Deployment.objects.exists()


def test_posting_without_csrf_is_refused(deployer, model_version, environment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(deployer)
    assert client.post(NEW, form_data(model_version, environment)).status_code == 403
    assert client.post(PREVIEW, form_data(model_version, environment)).status_code == 403
    assert not Deployment.objects.exists()


def test_the_preview_shows_one_line_per_limited_resource(
    as_user, deployer, model_version, environment, quota
):
    fragment = as_user(deployer).post(PREVIEW, form_data(model_version, environment, gpu_count=4))
    text = fragment.content.decode()
    assert f"This uses 4 of nlp&#x27;s 8 {H100} GPUs; 4 would remain" in text
    assert "This uses 1 of nlp&#x27;s 20 replicas; 19 would remain" in text
    assert "whether the pods fit cannot be told" in text
    assert "deploy-submit" not in text, "only the deploy page's own request swaps its button"


def test_an_over_quota_preview_disables_the_deploy_button(
    as_user, deployer, model_version, environment, quota
):
    data = form_data(model_version, environment, gpu_count=9, _form="deploy")
    text = as_user(deployer).post(PREVIEW, data).content.decode()
    assert f"quota exceeded for {H100}: limit 8, in use 0, requested 9" in text
    assert "Over quota" in text
    assert 'id="deploy-submit" class="primary" type="submit" disabled' in text
    assert 'hx-swap-oob="true"' in text


def test_a_preview_of_an_existing_deployment_does_not_count_it_twice(
    as_user, deployer, deployment, quota
):
    quota.limits.update(limit=2)
    client = as_user(deployer)
    url = f"{PREVIEW}?deployment={deployment.pk}"
    text = client.post(url, {"gpu_count": 2}).content.decode()
    assert f"This uses 2 of nlp&#x27;s 2 {H100} GPUs; 0 would remain" in text
    # As a new deployment the same spec would come on top of this one's GPU.
    data = form_data(deployment.model_version, deployment.environment, gpu_count=2)
    assert "quota exceeded" in client.post(PREVIEW, data).content.decode()


def test_a_preview_of_another_teams_deployment_is_not_found_and_a_viewer_is_refused(
    as_user, outsider, teammate, deployment
):
    url = f"{PREVIEW}?deployment={deployment.pk}"
    assert as_user(outsider).post(url, {"gpu_count": 2}).status_code == 404
    assert as_user(teammate).post(url, {"gpu_count": 2}).status_code == 403


def test_a_preview_with_bad_values_says_what_to_fix(as_user, deployer, model_version, environment):
    data = form_data(model_version, environment, cpu="lots")
    text = as_user(deployer).post(PREVIEW, data).content.decode()
    assert "Fix these to see the previews" in text
    assert "is not a Kubernetes quantity" in text
