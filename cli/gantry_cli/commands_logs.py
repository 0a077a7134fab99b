"""`gantry logs`: the containers' logs of a deployment's pods."""

from __future__ import annotations

import sys

import typer

from gantry_cli import logs as reading
from gantry_cli import lookup
from gantry_cli.main import ENVIRONMENT, TEAM, app
from gantry_cli.main import api as make_api
from gantry_cli.output import say


def _write(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@app.command()
def logs(
    name: str = typer.Argument(..., help="The deployment's name."),
    pod: str = typer.Option(None, "--pod", help="One pod (see `gantry describe deployment`)."),
    container: str = typer.Option(None, "--container", "-c", help="Default: the model server."),
    previous: bool = typer.Option(
        False, "--previous", "-p", help="The log of the instance that last crashed or ended."
    ),
    tail: int = typer.Option(None, "--tail", min=1, help="The last N lines."),
    since: str = typer.Option(None, "--since", help="Only newer lines, e.g. 10m."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
) -> None:
    """Print the logs of a deployment's pods; with several pods each line starts with [pod].

    Example: gantry logs chat --previous --tail 100
    """
    query = reading.LogQuery(container=container, previous=previous, tail=tail, since=since)
    with make_api() as api:
        found = lookup.deployment(api, name, team_name=team, environment_name=environment)
        pods = reading.pods_of(api, found, pod)
        seen = reading.show(api, found, pods, query, _write, say)
        if follow:
            reading.follow(api, found, pods, query, seen, _write)
