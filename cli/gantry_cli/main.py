"""The `gantry` command: its app, the options every command shares, and exit codes."""

from __future__ import annotations

import os
import sys
from enum import StrEnum

import typer

from gantry_cli import config
from gantry_cli.client import Api
from gantry_cli.errors import GantryError
from gantry_cli.output import say

HELP = """Gantry from the command line: deploy models, wait for them, read their logs.

Log in once with `gantry login --url URL`, or set GANTRY_URL and GANTRY_TOKEN (CI).

Exit codes: 0 done; 1 an error (the message says what and how to fix it); 2 a usage
error, a `wait` that timed out, or an error in `diff` (where 1 means changes).
"""

app = typer.Typer(
    name="gantry",
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(StrEnum):
    table = "table"
    wide = "wide"
    json = "json"
    yaml = "yaml"
    name = "name"


class State:
    context: str | None = None


state = State()

OUTPUT = typer.Option(Format.table, "--output", "-o", help="table, wide, json, yaml or name.")
TEAM = typer.Option(None, "--team", help="The team's name, when a name is in several teams.")
ENVIRONMENT = typer.Option(None, "--environment", "-e", help="The environment's name.")


@app.callback()
def _options(
    context: str = typer.Option(
        None, "--context", help="The named context to use (default: the current one)."
    ),
) -> None:
    state.context = context


def api() -> Api:
    """A client for the chosen context, with GANTRY_URL / GANTRY_TOKEN applied."""
    chosen = config.resolve(config.load(), state.context, dict(os.environ))
    return Api(chosen)


def can_prompt() -> bool:
    return sys.stdin.isatty()


def _register() -> None:
    # The command modules add themselves to `app` when imported.
    from gantry_cli import (  # noqa: F401
        commands_change,
        commands_connect,
        commands_logs,
        commands_read,
    )


def main() -> None:
    """The console script: run the command, print failures on stderr, exit with its code.

    Usage errors are typer's (exit 2); a GantryError is printed as its message alone.
    """
    _register()
    try:
        app(prog_name="gantry")
    except GantryError as exc:
        say(f"error: {exc.message}")
        sys.exit(exc.code)
    except KeyboardInterrupt:
        sys.exit(130)
