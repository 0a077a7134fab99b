"""Changing: apply, diff, deploy, scale, canary, rollback, stop, start, delete, wait."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from gantry_cli import apply as applying
from gantry_cli import filespec, lookup, plan, waiting
from gantry_cli.client import Api
from gantry_cli.errors import ERROR, USAGE, GantryError
from gantry_cli.main import ENVIRONMENT, TEAM, app
from gantry_cli.main import api as make_api
from gantry_cli.output import say

FILE = typer.Option(..., "--filename", "-f", help="A YAML file of models and deployments, or -.")
WAIT = typer.Option(False, "--wait", help="Then wait until it is Available (see `gantry wait`).")
TIMEOUT = typer.Option("10m", "--timeout", help="How long --wait waits, e.g. 90s, 10m.")

EXAMPLE_FILE = """
Example file (several documents, separated by ---):

  kind: Model
  name: llama
  team: nlp
  framework: transformers
  task: text-generation
  versions:
    - version: v1
      artifact_uri: s3://models/llama/v1
      runtime: vllm
  ---
  kind: Deployment
  name: chat
  team: nlp
  environment: development
  version: llama:v1
  replicas: 2
  gpu_count: 1
  gpu_model: NVIDIA-H100-80GB-HBM3
"""


def _read(path: str) -> filespec.GantryFile:
    if path == "-":
        return filespec.parse(sys.stdin.read(), "standard input")
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise GantryError(f"Cannot read {path}: {exc.strerror}.") from None
    return filespec.parse(text, path)


def _wait_all(api: Api, deployments: list[dict[str, Any]], timeout: str) -> None:
    seconds = waiting.parse_duration(timeout)
    for deployment in deployments:
        waiting.wait(api, deployment, "available", timeout=seconds, say=say)


@app.command("apply")
def apply_file(
    filename: str = FILE,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would change; change nothing."
    ),
    wait: bool = WAIT,
    timeout: str = TIMEOUT,
) -> None:
    """Create what a file declares and is missing; update what differs.

    Applying the same file again changes nothing. Fields the file leaves out keep
    their values on the server.

    Example: gantry apply -f gantry.yaml --wait --timeout 10m
    """
    parsed = _read(filename)
    with make_api() as api:
        steps = applying.plan(api, parsed)
        if dry_run:
            sys.stdout.write(plan.render([s.change for s in steps]) + "\n")
            return
        done = applying.execute(steps, lambda change: print(applying.summary(change)))
        if wait:
            _wait_all(api, done, timeout)


apply_file.__doc__ = (apply_file.__doc__ or "") + EXAMPLE_FILE


@app.command()
def diff(filename: str = FILE) -> None:
    """Print what `apply` would change. Exit 0: no change; 1: changes; 2: an error.

    Example: gantry diff -f gantry.yaml
    """
    try:
        parsed = _read(filename)
        with make_api() as api:
            changes = [step.change for step in applying.plan(api, parsed)]
    except GantryError as exc:
        exc.code = 2
        raise
    pending = [c for c in changes if c.changes]
    if pending:
        sys.stdout.write(plan.render(pending) + "\n")
    raise typer.Exit(ERROR if pending else 0)


@app.command()
def schema() -> None:
    """Print the JSON schema of Gantry files, for editors to validate them.

    Example: gantry schema > gantry-file.schema.json
    """
    sys.stdout.write(json.dumps(filespec.schema(), indent=2) + "\n")


@app.command()
def deploy(
    version: str = typer.Argument(..., help="MODEL:VERSION, e.g. llama:v1."),
    environment: str = typer.Option(..., "--environment", "-e", help="Where to deploy."),
    name: str = typer.Option(None, "--name", help="The deployment's name (default: the model's)."),
    team: str = TEAM,
    replicas: int = typer.Option(None, "--replicas", min=0),
    cpu: str = typer.Option(None, "--cpu", help="e.g. 2 or 500m."),
    memory: str = typer.Option(None, "--memory", help="e.g. 16Gi."),
    gpus: int = typer.Option(None, "--gpus", min=0, help="GPUs per replica."),
    gpu_model: str = typer.Option(None, "--gpu-model", help="e.g. NVIDIA-H100-80GB-HBM3."),
    mig_profile: str = typer.Option(None, "--mig-profile", help="e.g. 1g.10gb."),
    wait: bool = WAIT,
    timeout: str = TIMEOUT,
) -> None:
    """Create a deployment of a model version (quota is checked).

    Example: gantry deploy llama:v1 -e production --gpus 1 --gpu-model NVIDIA-H100-80GB-HBM3 --wait
    """
    with make_api() as api:
        team_id = lookup.team(api, team)["id"] if team else None
        found = lookup.version(api, version, team_id=team_id)
        model = api.get(f"models/{found['model']}/")
        spec = {
            "replicas": replicas, "cpu": cpu, "memory": memory, "gpu_count": gpus,
            "gpu_model": gpu_model, "mig_profile": mig_profile,
        }  # fmt: skip
        body = {
            "name": name or model["name"],
            "team": model["team"],
            "environment": lookup.environment(api, environment)["id"],
            "model_version": found["id"],
            **{key: value for key, value in spec.items() if value is not None},
        }
        created = api.post("deployments/", body)
        print(f"deployment/{created['name']} created")
        if wait:
            _wait_all(api, [created], timeout)


def _act(name: str, team: str | None, environment: str | None, action: str, body=None) -> Any:
    """POST a deployment action; answers the deployment as it is after."""
    with make_api() as api:
        found = lookup.deployment(api, name, team_name=team, environment_name=environment)
        return api.post(f"deployments/{found['id']}/{action}/", body)


def _after(deployment: dict[str, Any], verb: str, wait: bool, timeout: str) -> None:
    print(f"deployment/{deployment['name']} {verb}")
    if wait:
        with make_api() as api:
            _wait_all(api, [deployment], timeout)


@app.command()
def scale(
    name: str = typer.Argument(..., help="The deployment's name."),
    replicas: int = typer.Option(None, "--replicas", min=0, help="A fixed count."),
    min_replicas: int = typer.Option(None, "--min", min=1, help="Autoscaling floor."),
    max_replicas: int = typer.Option(None, "--max", min=1, help="Autoscaling ceiling."),
    target: int = typer.Option(None, "--target", min=1, help="Autoscaling target."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
    wait: bool = WAIT,
    timeout: str = TIMEOUT,
) -> None:
    """A fixed replica count, or autoscaling bounds.

    Example: gantry scale chat --replicas 3 --wait
    """
    body = {
        "replicas": replicas, "min_replicas": min_replicas,
        "max_replicas": max_replicas, "autoscaling_target": target,
    }  # fmt: skip
    body = {key: value for key, value in body.items() if value is not None}
    if not body:
        raise GantryError("Say how to scale: --replicas N, or --min and --max.", code=USAGE)
    _after(_act(name, team, environment, "scale", body), "scaled", wait, timeout)


@app.command()
def rollback(
    name: str = typer.Argument(..., help="The deployment's name."),
    to: int = typer.Option(None, "--to", min=1, help="A revision number (see `gantry history`)."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
    wait: bool = WAIT,
    timeout: str = TIMEOUT,
) -> None:
    """Return the spec to an earlier revision (by default, the last one that differs).

    Example: gantry rollback chat --to 3 --wait
    """
    with make_api() as api:
        found = lookup.deployment(api, name, team_name=team, environment_name=environment)
        if to is None:
            to = previous_revision(api.all(f"deployments/{found['id']}/revisions/"), found["name"])
        deployment = api.post(f"deployments/{found['id']}/rollback/", {"revision": to})
        print(f"deployment/{deployment['name']} rolled back to revision {to}")
        if wait:
            _wait_all(api, [deployment], timeout)


def previous_revision(revisions: list[dict[str, Any]], name: str) -> int:
    """The newest revision (newest first in `revisions`) whose spec differs from the
    current one but for state: stopping and starting are not what a rollback undoes."""

    def spec(revision: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in revision["spec"].items() if k != "state"}

    if revisions:
        for revision in revisions[1:]:
            if spec(revision) != spec(revisions[0]):
                return revision["number"]
    raise GantryError(f"{name} has no earlier spec to roll back to (see `gantry history {name}`).")


def _simple(action: str, verb: str, doc: str) -> None:
    def command(
        name: str = typer.Argument(..., help="The deployment's name."),
        team: str = TEAM,
        environment: str = ENVIRONMENT,
    ) -> None:
        print(f"deployment/{_act(name, team, environment, action)['name']} {verb}")

    command.__doc__ = doc
    app.command(action)(command)


_simple(
    "stop",
    "stopped",
    "Scale to zero and hold no quota; the spec is kept.\n\nExample: gantry stop chat",
)
_simple(
    "start", "started", "Run the kept spec again (quota is checked).\n\nExample: gantry start chat"
)

canary = typer.Typer(help="Send part of the traffic to another version.", no_args_is_help=True)
app.add_typer(canary, name="canary")


@canary.command("set")
def canary_set(
    name: str = typer.Argument(..., help="The deployment's name."),
    version: str = typer.Argument(..., help="MODEL:VERSION of the canary."),
    weight: int = typer.Option(..., "--weight", min=0, max=100, help="Percent of traffic."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
) -> None:
    """Send a weight (0-100%) of traffic to a version.

    Example: gantry canary set chat llama:v2 --weight 10
    """
    with make_api() as api:
        found = lookup.deployment(api, name, team_name=team, environment_name=environment)
        canary_version = lookup.version(api, version, team_id=found["team"])
        api.post(
            f"deployments/{found['id']}/canary/",
            {"version": canary_version["id"], "weight": weight},
        )
    print(f"deployment/{found['name']} canary {version} at {weight}%")


@canary.command("promote")
def canary_promote(
    name: str = typer.Argument(..., help="The deployment's name."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
) -> None:
    """Make the canary version the stable one.

    Example: gantry canary promote chat
    """
    deployment = _act(name, team, environment, "promote")
    print(
        f"deployment/{deployment['name']} promoted to {deployment['model']}:{deployment['version']}"
    )


@canary.command("abort")
def canary_abort(
    name: str = typer.Argument(..., help="The deployment's name."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
) -> None:
    """End the canary; all traffic returns to the stable version.

    Example: gantry canary abort chat
    """
    deployment = _act(name, team, environment, "abort")
    print(f"deployment/{deployment['name']} canary aborted")


@app.command()
def delete(
    name: str = typer.Argument(..., help="The deployment's name."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
    wait: bool = typer.Option(False, "--wait", help="Wait until it is gone from the cluster."),
    timeout: str = TIMEOUT,
) -> None:
    """Delete a deployment: its objects leave the cluster, then the record goes.

    Example: gantry delete chat --wait
    """
    with make_api() as api:
        found = lookup.deployment(api, name, team_name=team, environment_name=environment)
        api.delete(f"deployments/{found['id']}/")
        print(f"deployment/{found['name']} deleting")
        if wait:
            seconds = waiting.parse_duration(timeout)
            waiting.wait(api, found, "deleted", timeout=seconds, say=say)


@app.command("wait")
def wait_for(
    name: str = typer.Argument(..., help="The deployment's name."),
    for_: str = typer.Option("available", "--for", help="available, degraded, stopped or deleted."),
    timeout: str = typer.Option("10m", "--timeout", help="e.g. 90s, 10m, 1h."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
) -> None:
    """Wait until a deployment is available (or degraded, stopped, deleted).

    Prints why it is not there yet, each time that changes. Exit 0: reached;
    1: an error, or it can no longer get there; 2: the timeout ran out.

    Example: gantry wait chat --for available --timeout 10m
    """
    if for_ not in waiting.TARGETS:
        raise GantryError(f"--for takes {', '.join(waiting.TARGETS)}; not '{for_}'.", code=USAGE)
    seconds = waiting.parse_duration(timeout)
    with make_api() as api:
        found = lookup.deployment(api, name, team_name=team, environment_name=environment)
        waiting.wait(api, found, for_, timeout=seconds, say=say)
