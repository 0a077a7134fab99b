"""The CLI's failures, each with the exit code it ends the command with.

Exit codes: 0 done; 1 an error (the API refused, the network failed, a file is
not valid); 2 a usage error, a `wait` that ran out of time, or an error in `diff`
(whose 1 means "there are changes", as argocd's does).
"""

from __future__ import annotations

from typing import Any

OK = 0
ERROR = 1
TIMEOUT = 2
USAGE = 2


class GantryError(Exception):
    """A failure to report in one message (on stderr), then exit with `code`."""

    def __init__(self, message: str, code: int = ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ApiError(GantryError):
    """The API answered an error: its status and its `{"error", "detail", "fields"}` body."""

    def __init__(self, status: int, body: dict[str, Any], message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body

    @property
    def error(self) -> str:
        return str(self.body.get("error", ""))


def api_message(status: int, body: dict[str, Any], *, url: str, login_url: str) -> str:
    """The API's error as it said it: `detail`, then one line per field message."""
    detail = str(body.get("detail") or f"The server answered {status}.")
    lines = [detail]
    for name, messages in (body.get("fields") or {}).items():
        for message in messages if isinstance(messages, list) else [messages]:
            lines.append(f"  {name}: {message}")
    if status == 401:
        lines.append(
            f"The token for {login_url} was refused (expired, revoked or mistyped). "
            f"Log in again: gantry login --url {login_url}"
        )
    return "\n".join(lines)
