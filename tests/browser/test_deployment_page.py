"""The deployment page in Chromium against gunicorn, a Celery worker and the local
cluster: a deployer watches, scales, debugs a crash loop, rolls back, runs a canary,
stops, starts and deletes, without reloading to see the cluster's answers; a viewer
sees no actions. Screenshots of every tab go to artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from apps.deployments import services
from apps.deployments.models import Deployment
from tests.reconciler import conftest as live

# The reconciler's fixtures (a cluster record, a namespace of its own, deployments made
# through the services, a real worker), used here by name.
installation = live.installation
cluster_record = live.cluster_record
cluster = live.cluster
environment = live.environment
make_deployment = live.make_deployment
version = live.version
start_worker = live.start_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.cluster]

H100 = "NVIDIA-H100-80GB-HBM3"
# A reconcile, a rollout in KWOK and a poll of the page (every 5 s) in a row.
SETTLE_MS = 60_000


def _badge(page: Page):
    return page.locator("#live-header .badge")


def _tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Deployment tabs").get_by_role("link", name=name).click()


def _message(page: Page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


@pytest.fixture
def serving(make_deployment, start_worker):
    start_worker()
    # auto_rollback off: the crash loop below must stay for the page to show it.
    return make_deployment(gpu_count=1, gpu_model=H100, auto_rollback=False)


def test_a_deployer_watches_scales_debugs_rolls_back_runs_a_canary_and_deletes(
    signed_in, site, deployer, serving, version, model_version, screenshot
):
    v2 = version("v2", model_version)
    page = signed_in(deployer)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{site}/deployments/{serving.pk}/")
    expect(_badge(page)).to_have_text("Available", timeout=SETTLE_MS)  # no reload
    expect(page.locator(".charts")).to_be_visible()
    screenshot(page, "deployment-overview")

    _tab(page, "Actions")
    screenshot(page, "deployment-actions")
    page.get_by_label("Replicas", exact=True).fill("3")
    page.get_by_role("button", name="Scale", exact=True).click()
    _message(page, "Scaling chat: generation 2 is rolling out.")
    expect(page.locator("#live-header")).to_contain_text("3 available of 3", timeout=SETTLE_MS)

    _tab(page, "Pods")
    rows = page.locator("#live-pods tbody tr")
    expect(rows).to_have_count(3, timeout=SETTLE_MS)
    expect(rows.first).to_contain_text("gantry-gpu-h100")
    screenshot(page, "deployment-pods")
    rows.first.get_by_role("link").first.click()
    expect(page.locator("pre.log")).to_contain_text(re.compile(r"\S"))
    screenshot(page, "deployment-logs")
    page.get_by_label("Follow").check()
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]follow=1"))
    expect(page.locator("#log-box")).to_contain_text("following")
    with page.expect_response(re.compile(r"/logs/\?.*pod=")) as polled:
        pass  # the box alone is fetched again while the tab is visible
    assert polled.value.ok
    expect(page.locator("pre.log")).to_contain_text(re.compile(r"\S"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.endswith(".log")

    # The deploy form is another page's; a new version goes through the same service.
    crash = version("crash-loop", model_version)
    services.update_deployment(
        Deployment.objects.get(pk=serving.pk), actor=deployer, model_version=crash
    )
    page.goto(f"{site}/deployments/{serving.pk}/")
    reason = page.locator("#live-header .reason")
    expect(reason).to_contain_text(
        re.compile(r"Crash loop: container server exited with code 1 \(\d+ restarts?\)"),
        timeout=90_000,
    )
    screenshot(page, "deployment-crash-loop")
    reason.get_by_role("link", name="see previous logs").click()
    expect(page.locator("pre.log")).to_contain_text("Traceback (most recent call last):")
    expect(page.locator("pre.log")).to_contain_text("CUDA out of memory")
    screenshot(page, "deployment-previous-log")

    _tab(page, "History")
    expect(page.locator("table.diff")).to_contain_text("crash-loop")
    screenshot(page, "deployment-history")
    page.get_by_role("button", name="Roll back to 2").click()
    _message(page, "Rolled chat back as revision 4")
    page.goto(f"{site}/deployments/{serving.pk}/")
    expect(_badge(page)).to_have_text("Available", timeout=SETTLE_MS)

    _tab(page, "Actions")
    page.get_by_label("Canary version").select_option(label=v2.version)
    page.get_by_label("Weight (%)").fill("20")
    page.get_by_role("button", name="Set canary").click()
    _message(page, "Canary v2 at 20% for chat")
    expect(page.locator("#live-header")).to_contain_text("canary v2 at 20%")
    expect(_badge(page)).to_have_text("Available", timeout=SETTLE_MS)
    page.get_by_role("button", name="Promote canary").click()
    _message(page, "Promoted: chat now serves v2")
    expect(_badge(page)).to_have_text("Available", timeout=SETTLE_MS)

    _tab(page, "Events")
    expect(page.locator("table.events")).to_contain_text("dara")
    # Kubernetes' own words beside Gantry's: the scheduler placing a pod.
    expect(page.locator("table.events")).to_contain_text("Scheduled")
    screenshot(page, "deployment-events")
    _tab(page, "Manifest")
    expect(page.locator("pre.manifest")).to_contain_text("kind: Deployment")
    screenshot(page, "deployment-manifest")

    page.get_by_role("button", name="Stop").click()
    _message(page, "Stopping chat")
    expect(_badge(page)).to_have_text("Stopped", timeout=SETTLE_MS)
    page.get_by_role("button", name="Start").click()
    _message(page, "Starting chat")
    expect(_badge(page)).to_have_text("Available", timeout=SETTLE_MS)

    _tab(page, "Actions")
    page.get_by_label("Type the deployment's name to delete it").fill("chat")
    page.get_by_role("button", name="Delete chat").click()
    expect(page).to_have_url(f"{site}/deployments/")
    _message(page, "Deleting chat")


def test_a_viewer_sees_the_page_without_any_action(
    signed_in, site, teammate, make_deployment, screenshot
):
    deployment = make_deployment()
    page = signed_in(teammate)
    page.goto(f"{site}/deployments/{deployment.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("chat")
    expect(page.get_by_role("group", name="Actions")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Stop|Start|Promote|Delete"))).to_have_count(
        0
    )
    expect(page.get_by_role("link", name="Actions")).to_have_count(0)
    _tab(page, "History")
    expect(page.get_by_role("button", name=re.compile("Roll back"))).to_have_count(0)
    screenshot(page, "deployment-viewer-history")


HIDE = """() => {
  Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""
SHOW = """() => {
  Object.defineProperty(document, "visibilityState", {value: "visible", configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_polling_pauses_while_the_tab_is_hidden_and_resumes_at_once(
    signed_in, site, teammate, make_deployment
):
    deployment = make_deployment()
    page = signed_in(teammate)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/live/" in r.url else None)
    page.goto(f"{site}/deployments/{deployment.pk}/")
    with page.expect_request(re.compile(r"/live/header/"), timeout=8_000):
        pass  # polling runs while visible
    page.evaluate(HIDE)
    polls.clear()
    page.wait_for_timeout(11_000)  # two polling periods
    assert polls == [], f"polled while hidden: {polls}"
    with page.expect_request(re.compile(r"/live/header/"), timeout=2_000):
        page.evaluate(SHOW)  # not waiting for the next period
