"""The deployments list in Chromium: htmx swaps the table alone and keeps the URL, `/`
searches, and the rows refresh without a reload."""

import re

import pytest
from playwright.sync_api import expect

from apps.deployments.models import Deployment

pytestmark = pytest.mark.django_db(transaction=True)

STATES = [
    [{"type": "Available", "status": "True", "reason": "AllReplicasReady"}],
    [
        {"type": "Available", "status": "False", "reason": "CrashLoopBackOff"},
        {"type": "Degraded", "status": "True", "reason": "CrashLoopBackOff"},
    ],
    [
        {"type": "Available", "status": "False", "reason": "Creating"},
        {"type": "Progressing", "status": "True", "reason": "RolloutInProgress"},
    ],
    [{"type": "Synced", "status": "False", "reason": "ClusterUnreachable"}],
    [],
]


@pytest.fixture
def fleet(team, environment, model_version):
    rows = []
    for i in range(70):
        rows.append(
            Deployment(
                team=team,
                environment=environment,
                model_version=model_version,
                name=f"svc-{i:03d}",
                replicas=1 + i % 3,
                ready_replicas=i % 3,
                gpu_count=i % 3,
                gpu_model="NVIDIA-H100-80GB-HBM3" if i % 3 else "",
                state="stopped" if i % 11 == 0 else "running",
                conditions=STATES[i % len(STATES)],
            )
        )
    return Deployment.objects.bulk_create(rows)


def mark_page(page) -> None:
    """Set a flag that a full page load would wipe."""
    page.evaluate("window.__sameDocument = true")


def still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_filters_and_paging_swap_only_the_table_and_keep_the_url(
    signed_in, site, teammate, fleet, screenshot
):
    page = signed_in(teammate)
    page.goto(f"{site}/deployments/")
    rows = page.locator("#fleet-table tbody tr")
    expect(rows).to_have_count(50)
    screenshot(page, "deployments-list")
    mark_page(page)

    page.get_by_label("Condition").select_option("degraded")
    expect(page).to_have_url(re.compile(r"/deployments/\?condition=degraded"))
    expect(page).not_to_have_url(re.compile(r"name=&"))
    expect(rows).to_have_count(len([d for d in fleet if d.conditions == STATES[1]]))
    assert still_same_document(page), "a filter must swap the table, not reload the page"

    page.get_by_label("Condition").select_option("")
    page.get_by_label("Sort").select_option("name")
    expect(page).to_have_url(re.compile(r"ordering=name"))
    expect(rows.first.get_by_role("link")).to_have_text("svc-000")
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"cursor="))
    expect(rows.first.get_by_role("link")).to_have_text("svc-050")
    assert still_same_document(page), "paging must swap the table, not reload the page"

    shared = page.url
    page.goto(shared)  # a bookmarked or shared link reproduces the view
    expect(rows.first.get_by_role("link")).to_have_text("svc-050")
    expect(page.get_by_label("Sort")).to_have_value("name")


def test_slash_focuses_search_and_typing_filters(signed_in, site, teammate, fleet):
    page = signed_in(teammate)
    page.goto(f"{site}/deployments/")
    page.locator("h1").click()
    page.keyboard.press("/")
    search = page.get_by_label("Name contains")
    expect(search).to_be_focused()
    page.keyboard.type("svc-06")
    expect(page).to_have_url(re.compile(r"name=svc-06"))
    expect(page.locator("#fleet-table tbody tr")).to_have_count(10)


def test_rows_are_links_reachable_by_tab(signed_in, site, teammate, fleet):
    page = signed_in(teammate)
    page.goto(f"{site}/deployments/?ordering=name")
    first = page.get_by_role("link", name="svc-000", exact=True)
    first.focus()
    expect(first).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="svc-001", exact=True)).to_be_focused()


def test_a_row_changes_its_badge_without_a_reload(signed_in, site, teammate, fleet):
    target = fleet[5]  # running, Available
    page = signed_in(teammate)
    page.goto(f"{site}/deployments/?name={target.name}")
    row = page.locator("#fleet-table tbody tr").first
    expect(row.locator(".badge")).to_have_text("Available")
    mark_page(page)
    Deployment.objects.filter(pk=target.pk).update(conditions=STATES[1])  # its pods crash
    expect(row.locator(".badge")).to_have_text("Degraded", timeout=15_000)
    expect(row).to_contain_text("Crash loop")
    assert still_same_document(page)


def test_dark_scheme_and_an_outsiders_empty_list(
    page, signed_in, site, outsider, fleet, screenshot
):
    page = signed_in(outsider)
    page.emulate_media(color_scheme="dark")
    page.goto(f"{site}/deployments/")
    expect(page.get_by_text("Your teams have no deployments yet.")).to_be_visible()
    screenshot(page, "deployments-empty-dark")


def test_dark_list(page, signed_in, site, teammate, fleet, screenshot):
    page = signed_in(teammate)
    page.emulate_media(color_scheme="dark")
    page.goto(f"{site}/deployments/?ordering=name")
    expect(page.locator("#fleet-table tbody tr")).to_have_count(50)
    screenshot(page, "deployments-list-dark")
