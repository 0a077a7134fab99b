"""Connection: login, whoami, contexts."""

from __future__ import annotations

import os
import sys

import typer

from gantry_cli import config
from gantry_cli.client import Api
from gantry_cli.errors import GantryError
from gantry_cli.main import OUTPUT, Format, app, can_prompt, state
from gantry_cli.main import api as make_api
from gantry_cli.output import Column, emit, out, render_table, say

contexts = typer.Typer(help="Named servers and tokens in the config file.", no_args_is_help=True)
app.add_typer(contexts, name="context")


@app.command()
def login(
    url: str = typer.Option(
        ..., "--url", help="The Gantry server, e.g. https://gantry.example.com."
    ),
    name: str = typer.Option("default", "--context", "--name", help="Save it under this name."),
    token_stdin: bool = typer.Option(
        False, "--token-stdin", help="Read the token from standard input (for CI)."
    ),
) -> None:
    """Check a personal API token against the server, then save it as a named context.

    Make a token on the server's Tokens page (or `make token USER=you`).

    Example: echo "$TOKEN" | gantry login --url https://gantry.example.com --token-stdin
    """
    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise GantryError(f"'{url}' is not a URL; write e.g. https://gantry.example.com.", code=2)
    if token_stdin:
        token = sys.stdin.readline().strip()
    elif can_prompt():
        token = typer.prompt(f"API token for {url}", hide_input=True, err=True).strip()
    else:
        raise GantryError(
            "There is no terminal to ask for the token; pipe it in with --token-stdin.", code=2
        )
    if not token:
        raise GantryError("The token is empty; paste the token the server showed you.", code=2)
    context = config.Context(name=name, url=url, token=token)
    with Api(context) as api:
        me = api.get("me/")
    settings = config.load()
    settings.contexts[name] = context
    settings.current = name
    path = config.save(settings)
    say(f"Logged in to {url} as {me['username']}; saved as context '{name}' in {path}.")


@app.command()
def whoami(output: Format = OUTPUT) -> None:
    """Who the token belongs to, and your teams with your role in each.

    Example: gantry whoami -o json
    """
    with make_api() as api:
        me = api.get("me/")
    if output in (Format.json, Format.yaml, Format.name):
        emit(me, output.value, columns=[], name=lambda row: f"user/{row['username']}")
        return
    say(f"{me['username']} on {api.context.url}" + (" (superuser)" if me["is_superuser"] else ""))
    columns = [Column("TEAM", lambda t: t["name"]), Column("ROLE", lambda t: t["role"])]
    out().print(render_table(me["teams"], columns, wide=False))


@contexts.command("list")
def context_list() -> None:
    """The saved contexts; * marks the current one.

    Example: gantry context list
    """
    settings = config.load()
    current = state.context or os.environ.get("GANTRY_CONTEXT") or settings.current
    columns = [
        Column("CURRENT", lambda c: "*" if c.name == current else " "),
        Column("NAME", lambda c: c.name),
        Column("URL", lambda c: c.url),
    ]
    out().print(render_table(list(settings.contexts.values()), columns, wide=False))
    if os.environ.get("GANTRY_URL") or os.environ.get("GANTRY_TOKEN"):
        say("GANTRY_URL / GANTRY_TOKEN are set and override the context's URL and token.")


@contexts.command("use")
def context_use(name: str = typer.Argument(..., help="A saved context's name.")) -> None:
    """Make a saved context the current one.

    Example: gantry context use staging
    """
    settings = config.load()
    if name not in settings.contexts:
        known = ", ".join(sorted(settings.contexts)) or "none yet"
        raise GantryError(f"There is no context '{name}' (saved: {known}).")
    settings.current = name
    config.save(settings)
    say(f"Now using context '{name}' ({settings.contexts[name].url}).")
