"""Template context shared by every page: the product's name and the main navigation."""

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, URL name, staff only). Each app owns its pages; core only names them, so
# an entry whose app has no such page (yet) is left out instead of breaking every page.
NAVIGATION = [
    ("Deployments", "deployments:list", False),
    ("Models", "registry:models", False),
    ("Fleet", "monitoring:fleet", False),
    ("Teams", "accounts:teams", False),
    ("API tokens", "accounts:tokens", False),
    ("Admin", "admin:index", True),
]


def _nav_items(request: HttpRequest) -> list[dict[str, Any]]:
    user = getattr(request, "user", None)
    items = []
    for label, name, staff_only in NAVIGATION:
        if staff_only and not (user and user.is_staff):
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
