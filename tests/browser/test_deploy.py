# ruff: noqa: F811 (the reconciler's fixtures are imported by name, and requested by name)
"""The deploy page in Chromium, against the local cluster: previews, refusals, the record.

A real Celery worker reconciles the first deployment, so it is seen becoming Available.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from apps.deployments.models import Deployment
from apps.quotas.models import Quota, QuotaLimit
from tests.reconciler.conftest import (  # noqa: F401 (fixtures, used by name)
    cluster,
    cluster_record,
    environment,
    installation,
    is_available,
    start_worker,
    wait_for_record,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.cluster]

H100 = "NVIDIA-H100-80GB-HBM3"


@pytest.fixture
def site_env(site_env: dict[str, str]) -> dict[str, str]:
    # Each test sees the cluster as it is, not as an earlier test left the cache.
    return {**site_env, "GANTRY_CLUSTER_NODES_CACHE_S": "0"}


@pytest.fixture
def quota(team):
    quota = Quota.objects.create(team=team, replicas=20)
    QuotaLimit.objects.create(quota=quota, resource=H100, limit=8)
    return quota


def open_form(page: Page, site: str, model_version, environment, *, gpus: int) -> None:
    """The deploy form for `model_version` in `environment`, asking for `gpus` H100s."""
    page.goto(f"{site}/deployments/new/?version={model_version.pk}")
    page.get_by_label("Environment", exact=True).select_option(str(environment.pk))
    # The form comes back re-rendered with what the environment's cluster offers.
    expect(page.locator("#gpu-offer-note")).to_contain_text("nodes of cluster local advertise")
    page.get_by_label("Name", exact=True).fill("chat")
    page.get_by_label("Whole GPUs").check()
    page.get_by_label("GPU model", exact=True).select_option(H100)
    count = page.get_by_label("GPUs per pod")
    count.fill(str(gpus))
    count.press("Tab")  # a number field reports its change when it loses focus


def test_a_deployer_deploys_one_h100_while_both_previews_show(
    signed_in, site, deployer, model_version, environment, quota, screenshot, start_worker
):
    page = signed_in(deployer)
    page.goto(f"{site}/deployments/")
    page.get_by_role("link", name="New deployment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New deployment")
    screenshot(page, "deploy-empty")
    open_form(page, site, model_version, environment, gpus=1)
    previews = page.locator("#previews")
    expect(previews).to_contain_text(f"This uses 1 of nlp's 8 {H100} GPUs; 7 would remain")
    expect(previews).to_contain_text(re.compile(rf"Fits now: 1 of 1 {H100} nodes has 1 free GPU"))
    screenshot(page, "deploy-previews")
    log = start_worker()
    page.get_by_role("button", name="Deploy").click()
    expect(page).to_have_url(re.compile(rf"{site}/deployments/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("Deployment chat created")
    created = Deployment.objects.get(name="chat")
    assert page.url.endswith(f"/deployments/{created.pk}/")
    assert (created.gpu_count, created.gpu_model, created.environment) == (1, H100, environment)
    assert (created.team, created.model_version, created.created_by) == (
        model_version.model.team,
        model_version,
        deployer,
    )
    wait_for_record(created.pk, is_available, what="the deployment to become Available", log=log)


def test_an_over_quota_deploy_is_blocked_with_the_quota_message_and_creates_nothing(
    signed_in, site, deployer, model_version, environment, quota, screenshot
):
    quota.limits.update(limit=1)
    page = signed_in(deployer)
    open_form(page, site, model_version, environment, gpus=2)
    refusal = f"quota exceeded for {H100}: limit 1, in use 0, requested 2"
    expect(page.locator("#previews")).to_contain_text(refusal)
    deploy = page.get_by_role("button", name="Deploy")
    expect(deploy).to_be_disabled()
    screenshot(page, "deploy-over-quota")
    # A stale page (or no JavaScript) can still post it: the service refuses, per field.
    page.locator("#deploy-form").evaluate("form => form.submit()")
    expect(page.locator(".field:has(#id_gpu_count) .errorlist")).to_have_text(refusal)
    screenshot(page, "deploy-errors")
    assert not Deployment.objects.exists()


def test_a_gpu_count_no_node_can_hold_shows_will_wait_then_the_schedulers_reason(
    signed_in, site, deployer, model_version, environment, screenshot, start_worker
):
    page = signed_in(deployer)
    open_form(page, site, model_version, environment, gpus=9)
    expect(page.locator("#previews .verdict")).to_have_text(
        re.compile(
            r"Will wait: no node has 9 free nvidia.com/gpu \(largest free: \d+ on gantry-gpu-"
        )
    )
    expect(page.get_by_role("button", name="Deploy")).to_be_enabled()  # it informs, never blocks
    # Offered: the models the cluster's nodes have, not every model the installation allows.
    models = page.locator("#id_gpu_model option")
    expect(models.filter(has_text=H100)).to_have_count(1)
    expect(models.filter(has_text="NVIDIA-L4")).to_have_count(0)
    screenshot(page, "deploy-will-wait")
    # Created anyway, the pod waits; the page's header says why in the scheduler's words.
    start_worker()
    page.get_by_role("button", name="Deploy").click()
    expect(page).to_have_url(re.compile(rf"{site}/deployments/\d+/$"))
    expect(page.locator("#live-header .reason")).to_have_text(
        re.compile(r"Waiting for GPUs: 0 of \d+ nodes have 9 free nvidia.com/gpu"), timeout=90_000
    )
    screenshot(page, "deployment-waiting-for-gpus")
