"""The layout every page shares: sign-in, navigation, keyboard use, messages."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_form_leads_to_the_deployments_page(page, site, deployer, screenshot, settings):
    # The server checks the password with its own hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    deployer.set_password("a long passphrase")
    deployer.save()
    page.goto(f"{site}/")
    expect(page).to_have_url(f"{site}/login/?next=/deployments/")
    screenshot(page, "login")
    page.get_by_label("Username").fill(deployer.username)
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site}/deployments/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Deployments")
    screenshot(page, "deployments-empty")


def test_navigation_marks_the_current_page_and_hides_admin_from_non_staff(
    signed_in, site, deployer
):
    page = signed_in(deployer)
    page.goto(f"{site}/fleet/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Fleet")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Deployments")).not_to_have_attribute(
        "aria-current", "page"
    )
    expect(nav.get_by_role("link", name="Admin")).to_have_count(0)


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(signed_in, site, deployer):
    page = signed_in(deployer)
    page.goto(f"{site}/deployments/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_htmx_is_served_from_our_own_static_files(signed_in, site, deployer):
    page = signed_in(deployer)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{site}/deployments/")
    assert page.evaluate("typeof htmx") == "object", "htmx did not load on the page"
    outside = [url for url in requests if not url.startswith(site)]
    assert not outside, f"pages must not load anything from elsewhere: {outside}"
