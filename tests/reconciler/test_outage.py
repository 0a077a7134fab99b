"""kube-apiserver stopped for 60 s: records say ClusterUnreachable meanwhile, lose nothing,
and converge once it is back, through the worker's retries and beat's resync.

The outage is staged on a second local cluster of its own (same binaries, its own
state directory and ports), so other tests sharing the main cluster never see it.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

from apps.clusters import kube
from apps.deployments import reconciler, services
from apps.deployments.choices import ConditionType
from tests import factories
from tests.reconciler.conftest import REPO_ROOT, condition, is_available, wait_for_record

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

OUTAGE_S = 60
STATE = REPO_ROOT / ".gantry" / "cluster-outage"


def cluster_script(*args: str) -> str:
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "cluster" / args[0]), *args[1:]],
        env={**os.environ, "GANTRY_CLUSTER_STATE": str(STATE)},
        stdout=subprocess.PIPE,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(args)} failed; see {STATE}/logs/"
    return result.stdout


@pytest.fixture(scope="module")
def outage_kubeconfig() -> Iterator[str]:
    kubeconfig = cluster_script("up.sh").strip().splitlines()[-1]
    yield kubeconfig
    cluster_script("down.sh")


@pytest.fixture
def outage_environment(team, outage_kubeconfig) -> Iterator[object]:
    record = factories.ClusterFactory(name="outage", kubeconfig_path=outage_kubeconfig)
    environment = factories.EnvironmentFactory(
        name="staging", namespace=f"o{uuid.uuid4().hex[:8]}", cluster=record
    )
    environment.teams.add(team)
    yield environment
    kube.connect(reconciler.cluster_ref(record)).delete(
        "Namespace", environment.namespace_for(team.name)
    )


def test_an_api_server_outage_is_shown_and_then_healed(
    outage_environment, make_deployment, start_worker, deployer, tmp_path
):
    log = start_worker(
        "--queues", "reconcile,resync", "--beat", "--schedule", str(tmp_path / "beat"),
        GANTRY_RESYNC_INTERVAL_S="5",
        # Retries give up during the outage, so it is the resync that heals.
        GANTRY_RECONCILE_BACKOFF_CAP_S="4",
    )  # fmt: skip
    deployment = make_deployment(replicas=2, environment=outage_environment)
    wait_for_record(deployment.pk, is_available, what="Available before the outage", log=log)

    cluster_script("component.sh", "stop", "kube-apiserver")
    stopped_at = time.monotonic()
    try:
        services.scale(deployment, actor=deployer, replicas=3)
        during = wait_for_record(
            deployment.pk,
            lambda r: condition(r, ConditionType.SYNCED).get("reason") == "ClusterUnreachable",
            what="ClusterUnreachable during the outage",
            log=log,
        )
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped_at)))
    finally:
        cluster_script("component.sh", "start", "kube-apiserver")

    assert (during.generation, during.observed_generation) == (2, 1)
    assert condition(during, ConditionType.AVAILABLE)["status"] == "Unknown"
    # Converged: the change made during the outage is applied and the record tells the
    # cluster's status again. (Whether the pods are Ready by then is up to the simulated
    # nodes, which the node lifecycle controller marks NotReady after a long outage.)
    after = wait_for_record(
        deployment.pk,
        lambda r: (
            r.observed_generation == 2
            and condition(r, ConditionType.SYNCED).get("reason") == "Applied"
            and condition(r, ConditionType.AVAILABLE).get("status") != "Unknown"
        ),
        what="generation 2 applied after the outage",
        log=log,
    )
    live = kube.connect(reconciler.cluster_ref(outage_environment.cluster)).get(
        "Deployment", "chat", after.namespace
    )
    assert live["spec"]["replicas"] == 3
