"""The isolation matrix for browser pages: the same actors as the API's, every page.

A page added later without a row in tests/api/endpoints.py's PAGES fails the first
test, so no page goes unchecked for outsiders.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.endpoints import PAGES, page_path
from tests.api.test_isolation import MARKERS

NOT_PAGES = ("admin/", "api/v1/")  # the admin's own matrix, and the API's


def _named_routes(patterns, prefix: str = "", namespace: str = "") -> dict[str, str]:
    found = {}
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.update(_named_routes(entry.url_patterns, route, inner))
        elif isinstance(entry, URLPattern) and entry.name:
            found[namespace + entry.name] = route
    return found


def test_every_page_has_a_row_in_the_isolation_table():
    pages = {
        name
        for name, route in _named_routes(get_resolver().url_patterns).items()
        if not route.startswith(NOT_PAGES)
    }
    assert pages == set(PAGES), f"add to PAGES: {sorted(pages - set(PAGES))}"


def _get(client, user, path):
    if user is not None:
        client.force_login(user)
    return client.get(path)


# What a signed-in member gets where it is not the page itself.
SIGNED_IN_STATUS = {
    "home": 302,  # the deployments list
    "login": 302,  # already signed in: on to the deployments list
    "logout": 405,  # signing out is a POST, CSRF-protected
    "deployments:act": 405,  # actions are POSTs
    "deployments:log-download": 400,  # no pod chosen: says to choose one
    "accounts:add-member": 405,  # changes to members are POSTs
    "accounts:change-role": 405,
}

# Forms that change records: a viewer may not even open them.
VIEWER_STATUS = {
    "registry:model-new": 403,
    "registry:version-new": 403,
    "deployments:new": 403,
    "deployments:preview": 403,
    "accounts:revoke-token": 404,  # the owner's token: nobody else's to see
    "accounts:remove-member": 403,  # only a team admin is asked to confirm a removal
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_owner_and_a_viewer_see_their_teams_pages(client, world, owner, teammate, name):
    _, template = PAGES[name]
    for user in (owner, teammate):
        response = _get(client, user, page_path(world, template))
        expected = SIGNED_IN_STATUS.get(name, 200)
        if PAGES[name][0] == "platform":
            expected = 404  # superusers' pages: tests/quotas/test_overview_page.py
        elif user == teammate:
            expected = VIEWER_STATUS.get(name, expected)
        assert response.status_code == expected, (user.username, response.status_code)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_an_outsider_gets_404_for_a_teams_page_and_no_trace_in_lists(client, world, outsider, name):
    kind, template = PAGES[name]
    response = _get(client, outsider, page_path(world, template))
    if kind in ("team", "platform"):
        assert response.status_code == 404, response.status_code
    text = response.content.decode()
    assert not [marker for marker in MARKERS if marker in text], f"{name} shows the victim team"


@pytest.mark.parametrize(
    "name", sorted(name for name, (kind, _) in PAGES.items() if kind != "public")
)
def test_a_signed_out_visitor_is_sent_to_sign_in(client, world, name):
    _, template = PAGES[name]
    response = _get(client, None, page_path(world, template))
    assert response.status_code == 302, response.status_code
    if name != "home":
        assert response.headers["Location"].startswith("/login/"), response.headers["Location"]
