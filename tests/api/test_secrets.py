"""Planted canary secrets never come back: not in a response body, not in a log line.

A cluster's kubeconfig (its file's contents, and where it lives) and a user's
API token are planted with recognisable values; then every endpoint is called
by every kind of caller, including the failing ones (bad input, foreign ids,
the planted token once revoked), and every body and log record is searched.
"""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.accounts.services import create_token, revoke_token
from apps.clusters.models import Cluster
from tests.api.endpoints import ENDPOINTS, call

KUBECONFIG_SECRET = "canary-kubeconfig-client-key-5f1e0c"
KUBECONFIG_TEMPLATE = """apiVersion: v1
kind: Config
clusters: [{{name: local, cluster: {{server: "https://127.0.0.1:6443"}}}}]
users: [{{name: admin, user: {{token: {secret}}}}}]
contexts: [{{name: local, context: {{cluster: local, user: admin}}}}]
current-context: local
"""


@pytest.fixture
def planted(tmp_path, world, owner):
    kubeconfig = tmp_path / "canary-cluster-kubeconfig.yaml"
    kubeconfig.write_text(KUBECONFIG_TEMPLATE.format(secret=KUBECONFIG_SECRET))
    Cluster.objects.update(kubeconfig_path=str(kubeconfig), kubeconfig_context="canary-context")
    token = create_token(actor=None, user=owner, name="canary")
    return {
        "token": token,
        "secrets": [KUBECONFIG_SECRET, str(kubeconfig), "canary-context", token.plain],
    }


def exercise(api, world, planted, callers) -> list[str]:
    """Call every endpoint as every caller; return every response body."""
    bodies = []
    for client in callers:
        for method, path, body in ENDPOINTS:
            bodies.append(call(client, world, method, path, body).content.decode())
        bad = {"team": world.ids["team"], "name": "Not Valid!", "environment": "x"}
        bodies.append(client.post("/api/v1/deployments/", bad, format="json").content.decode())
        bodies.append(client.get("/api/v1/deployments/999999/").content.decode())
    return bodies


def test_no_response_or_log_line_carries_a_planted_secret(
    api, world, planted, owner, teammate, outsider, caplog
):
    caplog.set_level(logging.DEBUG)
    token = planted["token"]
    callers = [api(token=token.plain), api(teammate), api(outsider)]
    bodies = exercise(api, world, planted, callers)
    # The planted token once it has expired, and once revoked.
    ApiToken.objects.filter(pk=token.token.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    bodies += exercise(api, world, planted, [api(token=token.plain)])
    revoke_token(ApiToken.objects.get(pk=token.token.pk), actor=owner)
    bodies += exercise(api, world, planted, [api(token=token.plain)])

    logged = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in caplog.records
    )
    for secret in planted["secrets"]:
        leaks = [body[:200] for body in bodies if secret in body]
        assert not leaks, f"a response carries {secret!r}: {leaks[0]}"
        assert secret not in logged, f"a log line carries {secret!r}"
    assert len(bodies) > 5 * len(ENDPOINTS)
