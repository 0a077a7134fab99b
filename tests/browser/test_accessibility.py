"""Every page of the UI passes axe-core's checks in the light and the dark theme: no
violation of impact "serious" or "critical" (contrast, names, labels, landmarks...).

axe-core comes from npm (`make test` installs a pinned version and names its script in
GANTRY_AXE_CORE); it goes into each page as the browser context's init script, through
the devtools protocol, which the Content Security Policy does not govern. Gantry never
serves it.

To stay fast, one gunicorn, one set of records and one signed-in page serve the whole
module: the records are written once (committed, without a worker: the deployment page
then says the cluster cannot be reached) and flushed at the end, as a transactional
test's would be.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from apps.accounts import services as accounts
from apps.accounts.choices import Role
from apps.deployments import services
from apps.deployments.models import Deployment
from apps.quotas.models import Quota, QuotaLimit
from tests import factories
from tests.servers import gunicorn, session_database_url

# The records are the module's (below); the mark only has the test database set up, and
# each test's transaction has nothing to roll back.
pytestmark = pytest.mark.django_db

H100 = "NVIDIA-H100-80GB-HBM3"
SCHEMES = ["light", "dark"]
DEPLOYMENT_TABS = ["overview", "pods", "logs", "events", "history", "manifest", "actions"]
# Every page a person sees, by a name for the test id and a path filled from the records.
PAGES = {
    "login": "/login/",
    "deployments": "/deployments/",
    "fleet": "/fleet/",
    "deploy-form": "/deployments/new/",
    **{f"deployment-{tab}": f"/deployments/{{deployment}}/?tab={tab}" for tab in DEPLOYMENT_TABS},
    "models": "/models/",
    "model": "/models/{model}/",
    "model-form": "/models/new/",
    "version-form": "/models/{model}/versions/new/",
    "teams": "/teams/",
    "team": "/teams/{team}/",
    "remove-member": "/teams/{team}/members/{member}/remove/",
    "quota": "/teams/{team}/quota/",
    "audit": "/teams/{team}/audit/",
    "tokens": "/tokens/",
    "revoke-token": "/tokens/{token}/revoke/",
    "platform-quotas": "/platform/quotas/",
}
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help}\\n` + v.nodes.slice(0, 4)
      .map((n) => `    ${n.target.join(" ")}: ${n.failureSummary.replace(/\\s+/g, " ")}`)
      .join("\\n"));
}"""


@pytest.fixture(scope="module")
def axe_script() -> Path:
    path = os.environ.get("GANTRY_AXE_CORE", "")
    if not path or not Path(path).is_file():
        pytest.fail(f"axe-core not found at {path!r}: `make test` installs it (GANTRY_AXE_CORE).")
    return Path(path)


@pytest.fixture(scope="module")
def records(django_db_setup, django_db_blocker) -> Iterator[dict]:
    """A team with deployments, a model, a quota, a member and a token, committed."""
    with django_db_blocker.unblock():
        team = factories.TeamFactory(name="nlp")
        owner = factories.member(team, Role.ADMIN, username="olivia")
        # Also a platform admin, so the one signed-in page reaches the superusers' page too.
        owner.is_staff = owner.is_superuser = True
        owner.save(update_fields=["is_staff", "is_superuser"])
        viewer = factories.member(team, Role.VIEWER, username="theo")
        environment = factories.EnvironmentFactory(name="development", namespace="dev")
        environment.teams.add(team)
        version = factories.ModelVersionFactory(model__team=team, model__name="llama")
        quota = Quota.objects.create(team=team, gpus_total=8, replicas=10, cpu="64", memory="512Gi")
        QuotaLimit.objects.create(quota=quota, resource=H100, limit=2)
        deployment = services.create_deployment(
            actor=owner,
            team=team,
            environment=environment,
            name="chat",
            model_version=version,
            cpu="2",
            memory="16Gi",
            gpu_count=1,
            gpu_model=H100,
        )
        # The list's other badges: a crash loop and a stopped deployment.
        Deployment.objects.create(
            team=team,
            environment=environment,
            model_version=version,
            name="crashing",
            conditions=[
                {"type": "Available", "status": "False", "reason": "CrashLoopBackOff"},
                {"type": "Degraded", "status": "True", "reason": "CrashLoopBackOff"},
            ],
        )
        Deployment.objects.create(
            team=team,
            environment=environment,
            model_version=version,
            name="resting",
            state="stopped",
        )
        token = accounts.create_token(actor=owner, user=owner, name="ci").token
        ids = {
            "owner": owner,
            "team": team.pk,
            "member": viewer.memberships.get().pk,
            "model": version.model_id,
            "deployment": deployment.pk,
            "token": token.pk,
        }
    yield ids
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def module_site(records) -> Iterator[str]:
    env = {
        "DATABASE_URL": session_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECURE_COOKIES": "0",
        "GANTRY_INSTALLATION": settings.GANTRY_INSTALLATION,
    }
    with gunicorn(env, workers=1, threads=8) as url:
        yield url


@pytest.fixture(scope="module")
def session_cookie(records, module_site, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        client = Client()
        client.force_login(records["owner"])
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": module_site}


@pytest.fixture(scope="module")
def axe_page(browser, browser_context_args, session_cookie, axe_script):
    """One page for the whole module, signed in, with axe-core in every document it opens
    (an init script goes in through the devtools protocol: no CSP refusal), recording
    CSP refusals of the pages' own content."""
    context = browser.new_context(**browser_context_args)
    context.add_init_script(path=axe_script)
    context.add_cookies([session_cookie])
    page = context.new_page()
    page.csp_refusals = []
    page.on(
        "console",
        lambda msg: (
            page.csp_refusals.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    yield page
    context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violation(
    axe_page, module_site, records, session_cookie, screenshot, name, scheme
):
    page = axe_page
    page.emulate_media(color_scheme=scheme)
    path = PAGES[name].format(**records)
    if name == "login":  # signed out for this one page only
        page.context.clear_cookies()
        try:
            response = page.goto(f"{module_site}{path}", wait_until="networkidle")
        finally:
            page.context.add_cookies([session_cookie])
    else:
        response = page.goto(f"{module_site}{path}", wait_until="networkidle")
    assert response.status == 200, f"{path} answered {response.status}"
    violations = page.evaluate(RUN_AXE)
    screenshot(page, f"a11y-{name}-{scheme}")
    assert not violations, f"{path} in the {scheme} theme:\n" + "\n".join(violations)
    assert not page.csp_refusals, f"the Content Security Policy refused: {page.csp_refusals}"
