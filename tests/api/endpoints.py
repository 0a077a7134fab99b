"""Every API endpoint and method, with a valid body, for the matrix and secrets tests."""

from dataclasses import dataclass


@dataclass
class World:
    ids: dict[str, int | str]

    def path(self, template: str) -> str:
        return "/api/v1/" + template.format(**self.ids)


# (method, path, body): body values in {braces} are filled from the world's ids.
ENDPOINTS = [
    ("get", "me/", None),
    ("get", "teams/", None),
    ("get", "teams/{team}/", None),
    ("get", "teams/{team}/quota/", None),
    ("get", "teams/{team}/members/", None),
    ("get", "teams/{team}/members/{member}/", None),
    ("post", "teams/{team}/members/", {"username": "theo", "role": "admin"}),
    ("patch", "teams/{team}/members/{member}/", {"role": "viewer"}),
    ("delete", "teams/{team}/members/{member}/", None),
    ("get", "tokens/", None),
    ("get", "tokens/{token}/", None),
    ("post", "tokens/", {"name": "new"}),
    ("delete", "tokens/{token}/", None),
    ("get", "environments/", None),
    ("get", "environments/{environment}/", None),
    ("get", "models/", None),
    ("get", "models/{model}/", None),
    ("post", "models/", {"team": "{team}", "name": "another"}),
    ("patch", "models/{model}/", {"description": "changed"}),
    ("put", "models/{model}/", {"name": "secret-model", "description": "changed"}),
    ("get", "models/{model}/versions/", None),
    ("get", "models/{model}/versions/{version}/", None),
    ("post", "models/{model}/versions/", {"version": "v9", "artifact_uri": "s3://bucket/m/"}),
    ("patch", "models/{model}/versions/{version}/", {"description": "changed"}),
    ("delete", "models/{model}/versions/{spare_version}/", None),
    ("post", "models/{spare_model}/archive/", None),
    ("get", "deployments/", None),
    ("get", "deployments/{deployment}/", None),
    (
        "post",
        "deployments/",
        {
            "team": "{team}",
            "environment": "{environment}",
            "name": "another",
            "model_version": "{version}",
        },
    ),
    ("patch", "deployments/{deployment}/", {"replicas": 2}),
    ("put", "deployments/{deployment}/", {"model_version": "{version}", "replicas": 2}),
    ("delete", "deployments/{deployment}/", None),
    ("post", "deployments/{deployment}/scale/", {"replicas": 2}),
    ("post", "deployments/{deployment}/stop/", None),
    ("post", "deployments/{deployment}/start/", None),
    ("post", "deployments/{deployment}/rollback/", {"revision": 1}),
    ("post", "deployments/{deployment}/canary/", {"version": "{canary}", "weight": 20}),
    ("post", "deployments/{deployment}/promote/", None),
    ("post", "deployments/{deployment}/abort/", None),
    ("get", "deployments/{deployment}/revisions/", None),
    ("get", "deployments/{deployment}/revisions/1/", None),
    ("get", "deployments/{deployment}/events/", None),
    ("get", "deployments/{deployment}/pods/", None),
    ("get", "deployments/{deployment}/pods/{pod}/logs/", None),
    ("get", "events/", None),
    ("get", "events/{event}/", None),
]
IDS = [f"{method} {path}" for method, path, _ in ENDPOINTS]


def fill(world: World, body):
    if body is None:
        return None
    return {
        key: world.ids[value[1:-1]] if isinstance(value, str) and value.startswith("{") else value
        for key, value in body.items()
    }


def call(client, world: World, method: str, path: str, body):
    return getattr(client, method)(world.path(path), fill(world, body), format="json")


# Every browser page outside the admin and the API, by URL name. "team" pages show one
# team's object: an outsider gets 404. "list" pages show the caller's teams' records:
# an outsider gets 200 without a trace of the victim team; "redirect" pages send
# everyone elsewhere. "platform" pages are for superusers: anyone else signed in gets
# 404, as if there were no such page. "public" pages need no
# sign-in. tests/api/test_page_isolation.py fails for a page missing from here.
PAGES = {
    "deployments:list": ("list", "/deployments/"),
    "deployments:detail": ("team", "/deployments/{deployment}/"),
    "deployments:live": ("team", "/deployments/{deployment}/live/header/"),
    "deployments:log": ("team", "/deployments/{deployment}/logs/"),
    "deployments:log-download": ("team", "/deployments/{deployment}/logs/download/"),
    "deployments:act": ("team", "/deployments/{deployment}/actions/stop/"),
    "monitoring:charts": ("team", "/deployments/{deployment}/charts/"),
    "monitoring:fleet": ("list", "/fleet/"),
    "deployments:new": ("list", "/deployments/new/"),
    "deployments:preview": ("list", "/deployments/preview/"),
    "deployments:team-audit": ("team", "/teams/{team}/audit/"),
    "monitoring:sparklines": ("list", "/fleet/sparklines/?ids={deployment}"),
    "quotas:team": ("team", "/teams/{team}/quota/"),
    "quotas:overview": ("platform", "/platform/quotas/"),
    "accounts:teams": ("list", "/teams/"),
    "accounts:team": ("team", "/teams/{team}/"),
    "accounts:add-member": ("team", "/teams/{team}/members/"),
    "accounts:change-role": ("team", "/teams/{team}/members/{member}/"),
    "accounts:remove-member": ("team", "/teams/{team}/members/{member}/remove/"),
    "accounts:tokens": ("list", "/tokens/"),
    "accounts:revoke-token": ("team", "/tokens/{token}/revoke/"),
    "registry:models": ("list", "/models/"),
    "registry:model": ("team", "/models/{model}/"),
    "registry:model-new": ("list", "/models/new/"),
    "registry:version-new": ("team", "/models/{model}/versions/new/"),
    "home": ("redirect", "/"),
    "api-docs": ("list", "/api/docs/"),
    "login": ("public", "/login/"),
    "logout": ("public", "/logout/"),
    "healthz": ("public", "/healthz"),
    "readyz": ("public", "/readyz"),
}


def page_path(world: World, template: str) -> str:
    return template.format(**world.ids)
