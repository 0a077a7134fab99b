"""The layout every page shares: sign-in, navigation, keyboard use, messages."""

import re

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


ROOT_BACKGROUND = "getComputedStyle(document.documentElement).backgroundColor"
LIGHT_BG, DARK_BG = "rgb(246, 247, 249)", "rgb(11, 17, 32)"


def test_the_theme_toggle_overrides_the_system_and_is_remembered_in_this_browser(
    signed_in, site, deployer, screenshot
):
    page = signed_in(deployer)
    page.emulate_media(color_scheme="light")
    page.goto(f"{site}/deployments/")
    toggle = page.get_by_role("group", name="Theme")
    html = page.locator("html")
    expect(toggle.get_by_role("button", name="System")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(ROOT_BACKGROUND) == LIGHT_BG

    dark = toggle.get_by_role("button", name="Dark")
    dark.focus()
    page.keyboard.press("Enter")
    expect(dark).to_have_attribute("aria-pressed", "true")
    expect(toggle.get_by_role("button", name="System")).to_have_attribute("aria-pressed", "false")
    expect(html).to_have_attribute("data-theme", "dark")
    assert page.evaluate(ROOT_BACKGROUND) == DARK_BG, "the choice must win over the system's"
    screenshot(page, "theme-dark-chosen")

    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(toggle.get_by_role("button", name="Dark")).to_have_attribute("aria-pressed", "true")
    fresh = page.context.new_page()
    fresh.emulate_media(color_scheme="light")
    fresh.goto(f"{site}/models/")
    expect(fresh.locator("html")).to_have_attribute("data-theme", "dark")
    assert fresh.evaluate(ROOT_BACKGROUND) == DARK_BG
    fresh.close()

    toggle.get_by_role("button", name="System").click()
    expect(html).not_to_have_attribute("data-theme", re.compile("."))
    assert page.evaluate(ROOT_BACKGROUND) == LIGHT_BG
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(ROOT_BACKGROUND) == DARK_BG, "System follows the system again"
