"""Template context shared by every page."""

from django.http import HttpRequest


def gantry(request: HttpRequest) -> dict[str, str]:
    return {"product_name": "Gantry"}
