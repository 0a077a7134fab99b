"""The team page in Chromium: a team admin manages members; others only read."""

import pytest
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.quotas.models import Quota, QuotaLimit
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_team_admin_adds_changes_and_removes_a_member(
    signed_in, site, owner, team, deployment, screenshot
):
    factories.UserFactory(username="nina")
    quota = Quota.objects.create(team=team, gpus_total=8, replicas=10, cpu="64", memory="512Gi")
    QuotaLimit.objects.create(quota=quota, resource="NVIDIA-H100-80GB-HBM3", limit=2)
    page = signed_in(owner)
    page.goto(f"{site}/teams/")
    page.get_by_role("link", name=str(team)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Team {team}")

    page.get_by_label("Username", exact=True).fill("nina")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("status")).to_contain_text("Added nina")

    members = page.locator("#members")
    page.get_by_label("Role of nina").select_option("deployer")
    members.get_by_role("row", name="nina").get_by_role("button", name="Change role").click()
    expect(page.get_by_role("status")).to_contain_text("nina's role is changed")
    assert Membership.objects.get(user__username="nina").role == "deployer"

    # Quota bars (fullest first) and the audit log come in by htmx.
    quota_section = page.locator("#team-quota")
    expect(quota_section).to_contain_text("1 of 2 GPUs")
    expect(quota_section).to_contain_text("16 GiB of 512 GiB")
    holder = quota_section.get_by_role("link", name=f"{deployment.name}: 1 GPU").first
    expect(holder).to_have_attribute("href", f"/deployments/{deployment.pk}/")
    audit = page.locator("#team-audit")
    expect(audit).to_contain_text("Added nina as viewer.")
    screenshot(page, "team")

    members.get_by_role("row", name="nina").get_by_role("link", name="Remove…").click()
    screenshot(page, "team-remove-confirm")
    page.get_by_role("button", name="Remove nina").click()
    expect(page.get_by_role("status")).to_contain_text("Removed nina")
    expect(members.get_by_role("row", name="nina")).to_have_count(0)

    audit.get_by_label("What").select_option("remove_member")
    audit.get_by_role("button", name="Filter").click()
    expect(page.locator("#team-audit tbody tr")).to_have_count(1)


def test_a_viewer_reads_but_is_offered_no_changes(signed_in, site, teammate, team, screenshot):
    page = signed_in(teammate)
    page.goto(f"{site}/teams/{team.pk}/")
    expect(page.get_by_text("Only a team admin adds, changes and removes members.")).to_be_visible()
    expect(page.get_by_role("button", name="Add member")).to_have_count(0)
    expect(page.get_by_role("button", name="Change role")).to_have_count(0)
    expect(page.locator("#team-quota")).to_contain_text("has no quota")
    screenshot(page, "team-viewer")


def test_an_outsider_gets_404(signed_in, site, outsider, team):
    page = signed_in(outsider)
    response = page.goto(f"{site}/teams/{team.pk}/")
    assert response.status == 404
