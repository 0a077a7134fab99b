"""The deployment page (`deployments:detail`): each tab, the live fragments, scoping.

The environment's cluster here cannot be reached (its kubeconfig does not exist),
so the tabs that read the cluster say so in place; tests/browser has the page
against the real local cluster.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.deployments import services
from apps.deployments.models import Deployment, Event

pytestmark = pytest.mark.django_db

CRASH = (
    "Container server of pod chat-5d8f-abcde keeps crashing: it exited with exit code 1 "
    "(Error) and has restarted 3 times; see its logs."
)


def _page(client, user, deployment, query: str = ""):
    client.force_login(user)
    return client.get(f"/deployments/{deployment.pk}/{query}")


def _text(response) -> str:
    return response.content.decode()


def test_the_overview_shows_conditions_spec_endpoint_and_loads_the_charts(
    client, teammate, deployment
):
    response = _page(client, teammate, deployment)
    assert response.status_code == 200
    text = _text(response)
    for condition in ("Synced", "Available", "Progressing", "Degraded"):
        assert f'<th scope="row">{condition}</th>' in text, condition
    assert "1 \u00d7 NVIDIA-H100-80GB-HBM3" in text
    endpoint = f"http://chat.{deployment.namespace}.svc.cluster.local:80"
    assert endpoint in text
    assert f"curl -sS {endpoint}/health" in text
    assert f'hx-get="/deployments/{deployment.pk}/charts/"' in text
    assert "Generation</dt><dd>1 wanted" not in text
    assert "0 applied, 1 wanted" in text


def test_the_external_url_and_exposed_condition_show_only_when_the_environment_exposes(
    client, teammate, deployment, environment
):
    before = _page(client, teammate, deployment).content.decode()
    assert "External URL" not in before
    assert '<th scope="row">Exposed</th>' not in before
    environment.exposure = "ingress"
    environment.host_template = "{deployment}.{team}.{domain}"
    environment.domain = "models.example.com"
    environment.save()

    text = _page(client, teammate, deployment).content.decode()

    assert f'value="http://chat.{deployment.team.name}.models.example.com"' in text
    assert '<th scope="row">Exposed</th>' in text


def test_the_header_names_a_crash_loop_and_links_the_previous_log(client, teammate, deployment):
    Deployment.objects.filter(pk=deployment.pk).update(
        conditions=[
            {
                "type": "Available",
                "status": "False",
                "reason": "CrashLoopBackOff",
                "message": CRASH,
            },
            {"type": "Degraded", "status": "True", "reason": "CrashLoopBackOff", "message": CRASH},
        ]
    )
    text = _text(_page(client, teammate, deployment))
    assert "Crash loop: container server exited with code 1 (3 restarts)" in text
    link = (
        f"/deployments/{deployment.pk}/?tab=logs&amp;pod=chat-5d8f-abcde&amp;container=server"
        "&amp;tail=500&amp;previous=1"
    )
    assert f'<a href="{link}">see previous logs</a>' in text


def test_the_header_fragment_polls_and_says_the_same(client, teammate, deployment):
    client.force_login(teammate)
    response = client.get(f"/deployments/{deployment.pk}/live/header/")
    assert response.status_code == 200
    text = _text(response)
    assert text.lstrip().startswith('<header class="dep-header" id="live-header" data-poll')
    assert 'hx-trigger="every 5s, poll-now"' in text
    assert "<html" not in text
    for part in ("conditions", "pods"):
        assert client.get(f"/deployments/{deployment.pk}/live/{part}/").status_code == 200
    assert client.get(f"/deployments/{deployment.pk}/live/secrets/").status_code == 404


def test_the_pods_tab_says_when_the_cluster_cannot_be_reached(client, teammate, deployment):
    response = _page(client, teammate, deployment, "?tab=pods")
    assert response.status_code == 200
    assert "Cluster &#x27;local&#x27; cannot be reached right now" in _text(response)


def test_the_logs_tab_refuses_a_pod_name_that_is_not_one(client, teammate, deployment):
    client.force_login(teammate)
    response = client.get(f"/deployments/{deployment.pk}/logs/?pod=../../etc")
    assert response.status_code == 200
    assert "Choose a pod to read its log." in _text(response)  # a malformed name reads nothing
    download = client.get(f"/deployments/{deployment.pk}/logs/download/")
    assert download.status_code == 400
    assert download.content.decode() == "Choose a pod: ?pod=<name>.\n"


def test_the_events_tab_is_newest_first_and_paginated(client, teammate, deployment):
    Event.objects.bulk_create(
        Event(
            team=deployment.team,
            deployment=deployment,
            verb="condition",
            source="cluster",
            target=deployment.audit_target,
            message=f"event number {i}",
        )
        for i in range(60)
    )
    first = _text(_page(client, teammate, deployment, "?tab=events"))
    assert first.index("event number 59") < first.index("event number 10")
    assert "event number 9<" not in first
    assert "Page 1 of 2" in first
    # Kubernetes' own events come from the cluster, which cannot be reached here.
    assert "Kubernetes' own events cannot be shown: Cluster &#x27;local&#x27;" in first
    second = _text(_page(client, teammate, deployment, "?tab=events&page=2"))
    assert "event number 0<" in second
    assert "Created with" in second  # the audit event of the create, oldest


def test_the_history_tab_shows_who_what_and_a_side_by_side_diff(
    client, deployer, teammate, deployment
):
    services.scale(deployment, actor=deployer, replicas=3)
    text = _text(_page(client, deployer, deployment, "?tab=history"))
    assert "replicas 1 → 3" in text
    assert "Revision 1 and revision 2 side by side" in text
    assert '<tr class="changed"><th scope="row">replicas</th><td>1</td><td>3' in text
    assert "Roll back to 1" in text
    viewer_text = _text(_page(client, teammate, deployment, "?tab=history&left=2&right=1"))
    assert "Revision 2 and revision 1 side by side" in viewer_text
    assert "Roll back to" not in viewer_text
    missing = _text(_page(client, teammate, deployment, "?tab=history&left=9"))
    assert "No revision 9: revisions are numbered 1 to 2." in missing


def test_the_manifest_tab_shows_the_yaml_and_what_the_cluster_owns(
    client, deployer, teammate, deployment
):
    text = _text(_page(client, teammate, deployment, "?tab=manifest"))
    assert "kind: Deployment" in text
    assert "kind: Service" in text
    assert "nvidia.com/gpu: &#x27;1&#x27;" in text or "nvidia.com/gpu: 1" in text
    assert "HorizontalPodAutoscaler sets it" not in text
    services.scale(
        deployment, actor=deployer, min_replicas=1, max_replicas=4, autoscaling_target=70
    )
    text = _text(_page(client, teammate, deployment, "?tab=manifest"))
    assert "spec.replicas of Deployment chat: the HorizontalPodAutoscaler sets it" in text


def test_a_viewer_sees_no_actions_and_a_deployer_does(client, deployer, teammate, deployment):
    viewer = _text(_page(client, teammate, deployment))
    assert "/actions/" not in viewer
    assert "?tab=actions" not in viewer
    # The Actions tab asked for by URL falls back to the overview for a viewer.
    assert "Scale</button>" not in _text(_page(client, teammate, deployment, "?tab=actions"))
    acting = _text(_page(client, deployer, deployment))
    assert f'action="/deployments/{deployment.pk}/actions/stop/"' in acting
    actions = _text(_page(client, deployer, deployment, "?tab=actions"))
    for label in ("Scale</button>", "Change resources</button>", "Set canary</button>"):
        assert label in actions, label
    assert "Type the deployment&#x27;s name to delete it" in actions


def test_an_outsider_gets_404_on_every_tab_and_fragment(client, outsider, deployment):
    client.force_login(outsider)
    base = f"/deployments/{deployment.pk}"
    for path in (
        "/",
        "/?tab=logs&pod=chat-1",
        "/?tab=history",
        "/live/header/",
        "/logs/?pod=chat-1",
        "/logs/download/?pod=chat-1",
        "/charts/",
    ):
        assert client.get(base + path).status_code == 404, path


def test_an_unknown_tab_shows_the_overview(client, teammate, deployment):
    response = _page(client, teammate, deployment, "?tab=<script>")
    assert response.status_code == 200
    assert 'href="?tab=overview"' not in _text(response)
    assert f'<a href="/deployments/{deployment.pk}/?tab=overview" aria-current="page">' in _text(
        response
    )


def test_conditions_say_since_when(client, teammate, deployment):
    since = (timezone.now() - timezone.timedelta(minutes=5)).isoformat()
    Deployment.objects.filter(pk=deployment.pk).update(
        conditions=[
            {
                "type": "Available",
                "status": "True",
                "reason": "AllReplicasReady",
                "message": "Serving: 1 of 1 replicas of v1 available.",
                "last_transition_time": since,
            }
        ]
    )
    text = _text(_page(client, teammate, deployment))
    assert "Serving: 1 of 1 replicas of v1 available." in text
    assert "5\xa0minutes ago" in text
    assert '<span class="badge ok">Available</span>' in text
