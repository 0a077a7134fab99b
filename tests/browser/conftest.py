"""Browser tests: Playwright drives Debian's Chromium (`make test` installs it) against
Gantry served by gunicorn, as in production (whitenoise's hashed static files and
all), on the test database.

`signed_in(user)` gives a page with that user's session; `screenshot(page, name)`
saves the page under artifacts/screenshots/ for a person to look at. Tests that
need the reconciler start a real Celery worker with tests/reconciler's
`start_worker` and the local cluster's fixtures, as tests/api/live does.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.servers import gunicorn, session_database_url

# Playwright's sync API runs an event loop in this thread; the tests' ORM calls are
# still synchronous and alone on the connection, so Django's async guard is moot here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("GANTRY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# The machine's network is closed: without these, Chromium keeps dialling Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium.")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    # A 1280 px laptop screen, the size the pages are made for.
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def site_env(settings) -> dict[str, str]:
    """The web server's environment on top of the test process's; a test or a
    directory's conftest may override it (e.g. to add a Prometheus URL)."""
    return {
        "DATABASE_URL": session_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        # The test server speaks plain HTTP; Secure cookies would not come back to it.
        "SECURE_COOKIES": "0",
        "GANTRY_INSTALLATION": settings.GANTRY_INSTALLATION,
    }


@pytest.fixture(scope="module")
def _servers() -> Iterator[Callable[[dict[str, str]], str]]:
    """gunicorn servers shared by a module's tests, one per distinct environment.

    Starting one costs seconds (it imports the whole app), and stopping one waits for
    the browser's keep-alive connections, so a module's tests share them. Each test
    still sees only its own rows: the database is emptied between tests, and nothing
    the server keeps in memory is a record.
    """
    with ExitStack() as stack:
        running: dict[tuple[tuple[str, str], ...], str] = {}

        def serve(env: dict[str, str]) -> str:
            key = tuple(sorted(env.items()))
            if key not in running:
                running[key] = stack.enter_context(gunicorn(env, workers=1, threads=8))
            return running[key]

        yield serve


@pytest.fixture
def site(transactional_db, site_env: dict[str, str], _servers) -> str:
    """Gantry's base URL (no trailing slash), served by gunicorn on the test database."""
    return _servers(site_env)


@pytest.fixture
def signed_in(page, site: str) -> Callable:
    """`signed_in(user)`: the test's page, with `user` signed in (no password needed)."""

    def sign_in(user):
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.clear_cookies()
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": site}]
        )
        return page

    return sign_in


@pytest.fixture
def screenshot() -> Callable:
    """`screenshot(page, name)`: the whole page as artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(autouse=True)
def _no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every page a browser test opens must keep to the Content Security Policy: a
    refused inline script or style is a broken page that only looks fine in tests."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    refusals: list[str] = []
    page.on(
        "console",
        lambda msg: refusals.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield
    assert not refusals, f"the Content Security Policy refused: {refusals}"
