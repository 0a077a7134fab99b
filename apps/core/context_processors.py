"""Template context shared by every page: the product's name and the main navigation."""

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

EVERYONE, STAFF, SUPERUSERS = "everyone", "staff", "superusers"

# (label, URL name, who sees it). Each app owns its pages; core only names them, so
# an entry whose app has no such page (yet) is left out instead of breaking every page.
NAVIGATION = [
    ("Deployments", "deployments:list", EVERYONE),
    ("Models", "registry:models", EVERYONE),
    ("Fleet", "monitoring:fleet", EVERYONE),
    ("Teams", "accounts:teams", EVERYONE),
    ("API tokens", "accounts:tokens", EVERYONE),
    ("Quotas", "quotas:overview", SUPERUSERS),
    ("Admin", "admin:index", STAFF),
]


def _sees(user: Any, audience: str) -> bool:
    if audience == SUPERUSERS:
        return bool(user and user.is_staff and user.is_superuser)
    if audience == STAFF:
        return bool(user and user.is_staff)
    return True


def _nav_items(request: HttpRequest) -> list[dict[str, Any]]:
    user = getattr(request, "user", None)
    items = []
    for label, name, audience in NAVIGATION:
        if not _sees(user, audience):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        current = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"label": label, "url": url, "current": current})
    return items


def gantry(request: HttpRequest) -> dict[str, Any]:
    return {"product_name": "Gantry", "nav_items": _nav_items(request)}
