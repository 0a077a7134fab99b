"""The Content Security Policy holds on the existing pages: Chromium reports no violation.

Each page is opened with a listener for `securitypolicyviolation` installed before any
of the page's own scripts run, and Chromium's console is read for "Refused to ..." too.
The deployment page draws real plotly charts from a real Prometheus (the monitoring
tests' data set), since plotly is what puts styles into the page at run time.
"""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.monitoring.conftest import dataset, make_deployment

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}` +
    ` at ${e.sourceFile || "?"}:${e.lineNumber} (${(e.sample || "").slice(0, 60)})`);
});
"""


@pytest.fixture(scope="session")
def prometheus_dataset(prometheus_end):
    return dataset(prometheus_end)


@pytest.fixture
def llama(team, other_team, prometheus):
    cluster = factories.ClusterFactory(prometheus_url=prometheus.url)
    env = factories.EnvironmentFactory(name="development", namespace="dev", cluster=cluster)
    env.teams.add(team, other_team)
    return make_deployment(team, env, "llama", "vllm", min_replicas=1, max_replicas=4)


@pytest.fixture
def watched(page):
    """The test's page, recording CSP violations and console refusals."""
    refusals: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda msg: refusals.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    def violations() -> list[str]:
        return [*page.evaluate("window.__cspViolations || []"), *refusals]

    page.csp_violations = violations
    return page


def visit(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response.status == 200, f"{url} answered {response.status}"
    assert "default-src 'self'" in response.headers.get("content-security-policy", ""), (
        f"{url} has no Content-Security-Policy header"
    )
    page.wait_for_load_state("load")
    return page.csp_violations()


def no_violations(page, url: str) -> None:
    violations = visit(page, url)
    assert violations == [], f"{url}:\n" + "\n".join(violations)


def test_the_login_page_keeps_the_policy(watched, site, screenshot):
    no_violations(watched, f"{site}/login/")
    screenshot(watched, "csp-login")


def test_the_deployments_list_and_fleet_keep_the_policy(watched, signed_in, site, owner, llama):
    signed_in(owner)
    no_violations(watched, f"{site}/deployments/")
    no_violations(watched, f"{site}/fleet/")


def test_plotly_charts_draw_under_the_policy(watched, signed_in, site, owner, llama, screenshot):
    signed_in(owner)
    visit(watched, f"{site}/deployments/{llama.pk}/")
    # The Overview loads its charts with htmx after the page: wait until plotly drew
    # them (its SVG in a chart container), then read what the policy refused meanwhile.
    expect(watched.locator("[data-figure] svg.main-svg").first).to_be_visible()
    violations = watched.csp_violations()
    assert violations == [], "\n".join(violations)
    screenshot(watched, "csp-deployment")
    no_violations(watched, f"{site}/fleet/?range=1h")
    expect(watched.locator("[data-figure] svg.main-svg").first).to_be_visible()
    screenshot(watched, "csp-fleet")


def test_the_admin_keeps_the_policy(watched, signed_in, site, superuser, llama, screenshot):
    signed_in(superuser)
    no_violations(watched, f"{site}/admin/")
    no_violations(watched, f"{site}/admin/deployments/deployment/")
    no_violations(watched, f"{site}/admin/deployments/deployment/{llama.pk}/change/")
    no_violations(watched, f"{site}/admin/clusters/cluster/add/")
    screenshot(watched, "csp-admin-cluster-add")
