"""Whole page or fragment: the one place a view decides what an htmx request gets."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def is_fragment_request(request: HttpRequest) -> bool:
    """An htmx request that swaps part of a page (a boosted link wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(
    request: HttpRequest,
    page: str,
    fragment: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """`fragment` for an htmx swap, `page` (which includes the fragment) otherwise.

    The answer varies by the HX-Request header, so a cache or the browser's
    history never serves a fragment where a page was asked for.
    """
    template = fragment if is_fragment_request(request) else page
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
