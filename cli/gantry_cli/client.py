"""The REST API over httpx: one client per command, errors turned into messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from gantry_cli.config import Context
from gantry_cli.errors import ApiError, GantryError, api_message

PAGE_SIZE = 200
USER_AGENT = "gantry-cli/0.1"


class Api:
    """`get`, `post`, `patch`, `delete` on /api/v1/ paths, and `each` for whole lists."""

    def __init__(self, context: Context, *, timeout: float = 30.0) -> None:
        self.context = context
        self.base = f"{context.url}/api/v1/"
        self.http = httpx.Client(
            headers={
                "Authorization": f"Bearer {context.token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=timeout,
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path.lstrip("/")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.url(path)
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise GantryError(
                f"{method} {url} timed out. Is the server up? Check the URL with "
                "`gantry context list`, or try again."
            ) from None
        except httpx.HTTPError as exc:
            raise GantryError(
                f"Could not reach {url}: {exc}. Check the URL (`gantry context list`, "
                "GANTRY_URL) and your network."
            ) from None
        if response.status_code >= 400:
            raise self._error(method, url, response)
        return response

    def _error(self, method: str, url: str, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "detail" not in body:
            # Not Gantry's error shape: a proxy, or not a Gantry server at all.
            text = f"{method} {url} answered {response.status_code} {response.reason_phrase}."
            if response.status_code in (401, 404):
                text += " Is this the URL of a Gantry server? Check it with `gantry context list`."
            return ApiError(response.status_code, {}, text)
        message = api_message(response.status_code, body, url=url, login_url=self.context.url)
        return ApiError(response.status_code, body, message)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=_clean(params)).json()

    def text(self, path: str, **params: Any) -> str:
        return self.request("GET", path, params=_clean(params)).text

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.request("POST", path, json=body or {})
        return response.json() if response.content else None

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("PATCH", path, json=body).json()

    def delete(self, path: str) -> Any:
        response = self.request("DELETE", path)
        return response.json() if response.content else None

    def each(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every row of a list, following the cursor pages' `next` links."""
        page = self.get(path, page_size=PAGE_SIZE, **params)
        while True:
            yield from page.get("results", [])
            following = page.get("next")
            if not following:
                return
            page = self.get(following)

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        return list(self.each(path, **params))


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}
