"""API tokens in Chromium: created and shown once, used by a script, revoked."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def api_status(site: str, token: str) -> int:
    request = urllib.request.Request(
        f"{site}/api/v1/deployments/", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_create_use_and_revoke_a_token(signed_in, site, deployer, screenshot):
    page = signed_in(deployer)
    page.goto(f"{site}/tokens/")
    screenshot(page, "tokens-empty")
    page.get_by_label("Name").fill("ci-deploy")
    page.get_by_label("Lifetime in days").fill("30")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("The new token")
    expect(secret).to_be_visible()
    plain = secret.input_value()
    assert plain.startswith("gnt_")
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    screenshot(page, "tokens-created")
    assert api_status(site, plain) == 200

    page.goto(f"{site}/tokens/")
    assert plain not in page.content(), "the secret is shown only once"
    row = page.get_by_role("row", name="ci-deploy")
    expect(row).to_contain_text("Active")
    row.get_by_role("link", name="Revoke…").click()
    screenshot(page, "tokens-revoke-confirm")
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_role("row", name="ci-deploy")).to_contain_text("Revoked")
    screenshot(page, "tokens")
    assert api_status(site, plain) == 401


def test_a_lifetime_beyond_the_maximum_is_explained(signed_in, site, deployer, settings):
    page = signed_in(deployer)
    page.goto(f"{site}/tokens/")
    page.get_by_label("Name").fill("long")
    days = page.get_by_label("Lifetime in days")
    days.evaluate("el => el.removeAttribute('max')")  # what a crafted form could send
    days.fill(str(settings.GANTRY_API_TOKEN_MAX_DAYS + 1))
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#token-days-error")).to_contain_text("A token lives from 1 to")
    expect(days).to_have_attribute("aria-invalid", "true")


def test_a_team_admin_revokes_a_members_token_and_a_deployer_sees_only_their_own(
    signed_in, site, owner, deployer, screenshot
):
    from apps.accounts.services import create_token

    leaked = create_token(actor=deployer, user=deployer, name="laptop")
    mine = create_token(actor=owner, user=owner, name="admin-ci")
    page = signed_in(owner)
    page.goto(f"{site}/tokens/")
    heading = page.get_by_role("heading", name="Tokens of your teams' members")
    members = page.locator("section", has=heading)
    row = members.get_by_role("row", name="laptop")
    expect(row).to_contain_text("dara")
    screenshot(page, "tokens-team-admin")
    row.get_by_role("link", name="Revoke dara's token laptop").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revoke dara's token")
    page.get_by_role("button", name="Revoke token").click()
    expect(page.locator(".messages")).to_contain_text("Revoked token 'laptop' of dara")
    expect(members.get_by_role("row", name="laptop")).to_contain_text("Revoked")
    assert api_status(site, leaked.plain) == 401

    # A deployer lists only their own tokens, and an admin's token's page is not theirs.
    page = signed_in(deployer)
    page.goto(f"{site}/tokens/")
    expect(page.get_by_role("heading", name="Tokens of your teams' members")).to_have_count(0)
    response = page.goto(f"{site}/tokens/{mine.token.pk}/revoke/")
    assert response.status == 404
