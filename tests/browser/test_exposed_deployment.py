"""The deployment page of an exposed deployment: the in-cluster and the external URL, each
copyable, in the header (no cluster needed: the header reads the record)."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_header_shows_the_in_cluster_and_the_external_url(
    signed_in, site, teammate, deployment, environment, screenshot
):
    environment.exposure = "httproute"
    environment.domain = "models.example.com"
    environment.gateway = "gateway-system/public"
    environment.save()
    page = signed_in(teammate)

    page.goto(f"{site}/deployments/{deployment.pk}/")

    header = page.locator("#live-header")
    expect(header.get_by_label("In-cluster endpoint")).to_have_value(
        f"http://chat.{deployment.namespace}.svc.cluster.local:80"
    )
    expect(header.get_by_label("External URL (not probed)")).to_have_value(
        f"https://chat.{deployment.namespace}.models.example.com"
    )
    screenshot(page, "deployment-exposed")
