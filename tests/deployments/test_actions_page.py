"""The deployment page's actions: each a POST to one service, role-checked, CSRF-checked,
landing back on the page with a message; a refusal is shown and writes nothing."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import NoReverseMatch, reverse

from apps.deployments import services
from apps.deployments.choices import State
from apps.deployments.models import Deployment, Revision
from apps.quotas.models import Quota
from tests import factories

pytestmark = pytest.mark.django_db


def _post(client, user, deployment, verb: str, data: dict | None = None):
    client.force_login(user)
    return client.post(f"/deployments/{deployment.pk}/actions/{verb}/", data or {})


def _messages(response) -> list[str]:
    """The messages this request added (those of earlier ones wait unread in the session)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1:]


def _reload(deployment) -> Deployment:
    return Deployment.objects.get(pk=deployment.pk)


def test_scale_lands_back_on_the_page_with_a_message(client, deployer, deployment):
    response = _post(client, deployer, deployment, "scale", {"mode": "fixed", "replicas": "3"})
    assert response.status_code == 302
    assert response["Location"] == f"/deployments/{deployment.pk}/?tab=overview"
    assert _messages(response) == ["Scaling chat: generation 2 is rolling out."]
    record = _reload(deployment)
    assert (record.replicas, record.generation) == (3, 2)
    assert Revision.objects.get(deployment=deployment, number=2).created_by == deployer


def test_autoscaling_needs_both_bounds_and_says_so_beside_the_field(client, deployer, deployment):
    response = _post(
        client, deployer, deployment, "scale", {"mode": "autoscale", "min_replicas": 1}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Give both bounds to autoscale, e.g. 1 and 4." in text
    assert "Nothing was changed" in text
    assert _reload(deployment).generation == 1


def test_a_refusal_of_the_service_is_shown_beside_its_field(client, deployer, deployment):
    response = _post(
        client,
        deployer,
        deployment,
        "scale",
        {"mode": "autoscale", "min_replicas": 1, "max_replicas": 4},
    )
    assert response.status_code == 400
    assert "Autoscaling needs a target, e.g. 70" in response.content.decode()
    assert _reload(deployment).generation == 1


def test_changing_resources_over_the_quota_is_refused_and_writes_nothing(
    client, deployer, team, deployment
):
    Quota.objects.create(team=team, gpus_total=2)
    data = {"cpu": "2", "memory": "16Gi", "gpu_count": 4, "gpu_model": "NVIDIA-H100-80GB-HBM3"}
    response = _post(client, deployer, deployment, "resources", data)
    assert response.status_code == 400
    assert "quota" in response.content.decode().lower()
    record = _reload(deployment)
    assert (record.gpu_count, record.generation) == (1, 1)
    assert Revision.objects.filter(deployment=deployment).count() == 1


def test_the_resources_form_asks_for_the_quota_preview_once_it_exists(client, deployer, deployment):
    client.force_login(deployer)
    text = client.get(f"/deployments/{deployment.pk}/?tab=actions").content.decode()
    form = text[text.index('<form id="resources-form"') :]
    form = form[: form.index(">")]
    # deployments:preview comes with the deploy form; until it is there, no preview is asked.
    try:
        preview = reverse("deployments:preview")
    except NoReverseMatch:
        assert "hx-post" not in form
    else:
        assert f'hx-post="{preview}?deployment={deployment.pk}"' in form


def test_canary_promote_and_abort(client, deployer, deployment, model_version):
    v2 = factories.ModelVersionFactory(model=model_version.model, version="v2")
    response = _post(client, deployer, deployment, "canary", {"version": v2.pk, "weight": 20})
    assert response.status_code == 302, response.content
    assert _messages(response) == ["Canary v2 at 20% for chat: generation 2 is rolling out."]
    assert (_reload(deployment).canary_version_id, _reload(deployment).canary_weight) == (v2.pk, 20)
    response = _post(client, deployer, deployment, "promote")
    assert _messages(response) == ["Promoted: chat now serves v2; generation 3 is rolling out."]
    record = _reload(deployment)
    assert (record.model_version_id, record.canary_version_id) == (v2.pk, None)
    # Nothing left to abort: said as a message on the page, nothing written.
    response = _post(client, deployer, deployment, "abort")
    assert response.status_code == 302
    assert _messages(response) == [
        "Deployment chat has no canary to abort; start one with a canary version and weight first."
    ]
    assert _reload(deployment).generation == 3


def test_a_canary_weight_over_100_is_refused_beside_the_field(
    client, deployer, deployment, model_version
):
    v2 = factories.ModelVersionFactory(model=model_version.model, version="v2")
    response = _post(client, deployer, deployment, "canary", {"version": v2.pk, "weight": 150})
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 100." in response.content.decode()


def test_another_teams_version_cannot_be_a_canary(client, deployer, deployment, other_team):
    foreign = factories.ModelVersionFactory(model__team=other_team, version="theirs")
    response = _post(client, deployer, deployment, "canary", {"version": foreign.pk, "weight": 10})
    assert response.status_code == 400
    assert _reload(deployment).canary_version_id is None


def test_stop_start_and_rollback(client, deployer, deployment):
    assert _messages(_post(client, deployer, deployment, "stop")) == [
        "Stopping chat: its pods shut down and it holds no quota."
    ]
    assert _reload(deployment).state == State.STOPPED
    _post(client, deployer, deployment, "start")
    assert _reload(deployment).state == State.RUNNING
    services.scale(deployment, actor=deployer, replicas=2)
    response = _post(client, deployer, deployment, "rollback", {"revision": 1})
    assert response["Location"] == f"/deployments/{deployment.pk}/?tab=history"
    record = _reload(deployment)
    assert (record.replicas, record.generation) == (1, 5)
    response = _post(client, deployer, deployment, "rollback", {"revision": 99})
    assert "has no revision 99" in _messages(response)[0]


def test_delete_needs_the_name_typed(client, deployer, deployment):
    response = _post(client, deployer, deployment, "delete", {"confirm": "chat2"})
    assert response.status_code == 400
    assert "Type chat exactly to confirm; nothing was deleted." in response.content.decode()
    assert _reload(deployment).state == State.RUNNING
    response = _post(client, deployer, deployment, "delete", {"confirm": "chat"})
    assert response["Location"] == "/deployments/"
    assert _reload(deployment).state == State.DELETING


@pytest.mark.parametrize("verb", ["scale", "stop", "delete", "rollback", "promote"])
def test_a_viewers_forged_post_is_refused_with_403(client, teammate, deployment, verb):
    data = {"mode": "fixed", "replicas": 5, "confirm": "chat", "revision": 1}
    response = _post(client, teammate, deployment, verb, data)
    assert response.status_code == 403
    record = _reload(deployment)
    assert (record.generation, record.state) == (1, State.RUNNING)


def test_an_outsider_gets_404_and_a_get_is_not_allowed(client, outsider, deployer, deployment):
    assert _post(client, outsider, deployment, "stop").status_code == 404
    client.force_login(deployer)
    assert client.get(f"/deployments/{deployment.pk}/actions/stop/").status_code == 405
    assert _post(client, deployer, deployment, "explode").status_code == 404
    assert _reload(deployment).state == State.RUNNING


def test_a_post_without_the_csrf_token_is_refused(deployer, deployment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(deployer)
    response = client.post(f"/deployments/{deployment.pk}/actions/stop/")
    assert response.status_code == 403
    assert _reload(deployment).state == State.RUNNING
