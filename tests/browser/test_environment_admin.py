"""A platform admin restricts an environment's egress in the admin, and a bad CIDR block
is refused on the form with the reason and an example."""

from __future__ import annotations

from playwright.sync_api import expect

from tests import factories


def test_a_bad_cidr_block_is_refused_on_the_environment_form(
    signed_in, site, superuser, screenshot
):
    environment = factories.EnvironmentFactory(name="production", namespace="prod")
    page = signed_in(superuser)
    page.goto(f"{site}/admin/clusters/environment/{environment.pk}/change/")

    page.get_by_label("Restrict egress").check()
    page.get_by_label("Egress CIDR blocks").fill("10.0.0.0/8, 10.1.2.3/16")
    page.get_by_label("Egress namespaces").fill("vector-db")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".errorlist")).to_contain_text(
        "'10.1.2.3/16' has bits set after its prefix length: write the block '10.1.0.0/16'"
    )
    screenshot(page, "admin-environment-egress-refused")

    page.get_by_label("Egress CIDR blocks").fill("10.0.0.0/8, 10.1.0.0/16")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    environment.refresh_from_db()
    assert environment.restrict_egress
    assert environment.egress_cidr_list == ["10.0.0.0/8", "10.1.0.0/16"]
    page.goto(f"{site}/admin/clusters/environment/{environment.pk}/change/")
    screenshot(page, "admin-environment-egress")
