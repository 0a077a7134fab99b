# ruff: noqa: F811 (the reconciler's fixtures are imported by name, and requested by name)
"""The platform quota overview in Chromium, against the local cluster's real nodes: a
platform admin goes there from the admin index and sees every team's bars, and that
the quotas promise more H100s than the nodes have."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.deployments import services
from apps.quotas.models import Quota, QuotaLimit
from tests.reconciler.conftest import (  # noqa: F401 (fixtures, used by name)
    cluster,
    cluster_record,
    environment,
    installation,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.cluster]

H100 = "NVIDIA-H100-80GB-HBM3"


@pytest.fixture
def site_env(site_env: dict[str, str]) -> dict[str, str]:
    return {**site_env, "GANTRY_CLUSTER_NODES_CACHE_S": "0"}


def h100s_on_nodes(cluster) -> int:
    """Counted here from the nodes as the API serves them, not through the page's code."""
    return sum(
        int(node["status"]["allocatable"].get("nvidia.com/gpu", "0"))
        for node in cluster.list("Node")
        if node["metadata"].get("labels", {}).get("nvidia.com/gpu.product") == H100
    )


def test_a_platform_admin_sees_every_teams_bars_and_the_h100_over_commitment(
    signed_in, site, superuser, team, other_team, deployer, environment, cluster,
    model_version, screenshot,
):  # fmt: skip
    have = h100s_on_nodes(cluster)
    assert have > 0, "the local cluster should have H100 nodes"
    for owner, limit in ((team, have), (other_team, 8)):
        quota = Quota.objects.create(team=owner, cpu="64", memory="512Gi", replicas=10)
        QuotaLimit.objects.create(quota=quota, resource=H100, limit=limit)
    services.create_deployment(
        actor=deployer,
        team=team,
        environment=environment,
        name="chat",
        model_version=model_version,
        cpu="12",
        memory="48Gi",
        gpu_count=2,
        gpu_model=H100,
    )
    page = signed_in(superuser)
    page.goto(f"{site}/admin/")
    screenshot(page, "admin-index-platform")
    page.get_by_role("link", name="Quota overview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Platform quota overview")

    cards = page.locator(".team-usage")
    expect(cards).to_have_count(2)
    expect(cards.nth(0).locator("h3")).to_contain_text("nlp")  # the fuller team first
    expect(cards.nth(0)).to_contain_text("12 of 64 cores")
    expect(cards.nth(0)).to_contain_text("48 GiB of 512 GiB")
    expect(cards.nth(0)).to_contain_text(f"2 of {have} GPUs")
    expect(cards.nth(1).locator("h3")).to_contain_text("vision")
    expect(cards.nth(1)).to_contain_text("0 of 8 GPUs")
    expect(page.locator("#gpus")).to_contain_text(
        f"Quotas promise {have + 8} {H100} GPUs; the clusters have {have}: over-committed by 8"
    )
    screenshot(page, "platform-overview")

    page.get_by_role("link", name="By name").click()
    expect(page).to_have_url(f"{site}/platform/quotas/?sort=name")
    expect(cards.nth(0).locator("h3")).to_contain_text("nlp")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "platform-overview-dark")
