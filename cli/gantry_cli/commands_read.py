"""Reading: get, describe, events, history, quota."""

from __future__ import annotations

from typing import Any

import typer

from gantry_cli import lookup
from gantry_cli.errors import ApiError
from gantry_cli.main import ENVIRONMENT, OUTPUT, TEAM, Format, app
from gantry_cli.main import api as make_api
from gantry_cli.output import Column, age, condition, emit, out, render_table, say

get = typer.Typer(help="List or show deployments, models, versions, environments.")
app.add_typer(get, name="get", no_args_is_help=True)


def _ready(d: dict[str, Any]) -> str:
    wanted = d.get("replicas")
    if d.get("max_replicas"):
        wanted = f"{d.get('min_replicas')}-{d['max_replicas']}"
    return f"{d['status']['ready_replicas']}/{wanted}"


def _available(d: dict[str, Any]) -> str:
    available = condition(d, "Available")
    return f"{available.get('status', 'Unknown')} ({available.get('reason', '')})".replace(
        " ()", ""
    )


def _gpus(d: dict[str, Any]) -> str:
    if not d.get("gpu_count"):
        return ""
    kind = d.get("mig_profile") or d.get("gpu_model") or "any"
    return f"{d['gpu_count']}x {kind}"


DEPLOYMENT_COLUMNS = [
    Column("NAME", lambda d: d["name"]),
    Column("TEAM", lambda d: d["team_name"]),
    Column("ENVIRONMENT", lambda d: d["environment_name"]),
    Column("VERSION", lambda d: f"{d['model']}:{d['version']}"),
    Column("STATE", lambda d: d["state"]),
    Column("READY", _ready),
    Column("AVAILABLE", _available),
    Column("GPUS", _gpus, wide=True),
    Column("CANARY", lambda d: f"{d['canary_weight']}%" if d["canary_version"] else "", wide=True),
    Column(
        "GENERATION",
        lambda d: f"{d['status']['observed_generation']}/{d['status']['generation']}",
        wide=True,
    ),
    Column("AGE", lambda d: age(d["created_at"])),
    Column("MESSAGE", lambda d: condition(d, "Available").get("message", ""), wide=True),
]
MODEL_COLUMNS = [
    Column("NAME", lambda m: m["name"]),
    Column("TEAM", lambda m: m.get("team_name", m["team"])),
    Column("FRAMEWORK", lambda m: m["framework"]),
    Column("TASK", lambda m: m["task"]),
    Column("AGE", lambda m: age(m["created_at"])),
    Column("DESCRIPTION", lambda m: m["description"], wide=True),
]
VERSION_COLUMNS = [
    Column("MODEL", lambda v: v.get("model_name", v["model"])),
    Column("VERSION", lambda v: v["version"]),
    Column("RUNTIME", lambda v: v["runtime"]),
    Column("IN USE", lambda v: v["in_use"]),
    Column("AGE", lambda v: age(v["created_at"])),
    Column("ARTIFACT", lambda v: v["artifact_uri"], wide=True),
    Column("IMAGE", lambda v: v["image"], wide=True),
]
ENVIRONMENT_COLUMNS = [
    Column("NAME", lambda e: e["name"]),
    Column("CLUSTER", lambda e: e["cluster"]),
    Column("NAMESPACE", lambda e: e["namespace"]),
    Column("TIER", lambda e: e["tier"]),
]


@get.command("deployments")
def get_deployments(
    name: str = typer.Argument(None, help="One deployment, by name."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
    state: str = typer.Option(None, "--state", help="running, stopped or deleting."),
    output: Format = OUTPUT,
) -> None:
    """Your teams' deployments, newest first.

    Example: gantry get deployments --team nlp --state running -o wide
    """
    with make_api() as api:
        if name:
            data: Any = lookup.deployment(api, name, team_name=team, environment_name=environment)
        else:
            params = {
                "team": lookup.team(api, team)["id"] if team else None,
                "environment": lookup.environment(api, environment)["id"] if environment else None,
                "state": state,
            }
            data = api.all("deployments/", **params)
    emit(data, output.value, columns=DEPLOYMENT_COLUMNS, name=lambda d: f"deployment/{d['name']}")


@get.command("models")
def get_models(
    name: str = typer.Argument(None, help="One model, by name."),
    team: str = TEAM,
    output: Format = OUTPUT,
) -> None:
    """Your teams' models (archived ones are left out).

    Example: gantry get models --team nlp -o yaml
    """
    with make_api() as api:
        team_id = lookup.team(api, team)["id"] if team else None
        if name:
            data: Any = lookup.model(api, name, team_id=team_id)
        else:
            data = api.all("models/", team=team_id)
        teams = lookup.teams_by_id(api) if output in (Format.table, Format.wide) else {}
    for row in data if isinstance(data, list) else [data]:
        if teams:
            row["team_name"] = teams.get(row["team"], row["team"])
    emit(data, output.value, columns=MODEL_COLUMNS, name=lambda m: f"model/{m['name']}")


@get.command("versions")
def get_versions(
    model: str = typer.Argument(None, help="A model's name, or MODEL:VERSION for one version."),
    team: str = TEAM,
    output: Format = OUTPUT,
) -> None:
    """Versions of a model (of every model without one), newest first.

    Example: gantry get versions llama
    """
    with make_api() as api:
        team_id = lookup.team(api, team)["id"] if team else None
        label = None
        if model and ":" in model:
            model, label = lookup.split_version(model)
        models = (
            [lookup.model(api, model, team_id=team_id)]
            if model
            else api.all("models/", team=team_id)
        )
        data: Any = []
        for found in models:
            for version in lookup.versions(api, found["id"]):
                if label is None or version["version"] == label:
                    data.append({**version, "model_name": found["name"]})
    if label is not None:
        if not data:
            lookup.version(api, f"{model}:{label}")  # raises, naming what is missing
        data = data[0]
    emit(
        data,
        output.value,
        columns=VERSION_COLUMNS,
        name=lambda v: f"version/{v['model_name']}:{v['version']}",
    )


@get.command("environments")
def get_environments(
    name: str = typer.Argument(None, help="One environment, by name."),
    output: Format = OUTPUT,
) -> None:
    """The environments your teams may deploy into.

    Example: gantry get environments -o name
    """
    with make_api() as api:
        data: Any = lookup.environment(api, name) if name else api.all("environments/")
    emit(data, output.value, columns=ENVIRONMENT_COLUMNS, name=lambda e: f"environment/{e['name']}")


EVENT_COLUMNS = [
    Column("AGE", lambda e: age(e["created_at"])),
    Column("SOURCE", lambda e: e["source"]),
    Column("ACTOR", lambda e: e["actor_name"]),
    Column("VERB", lambda e: e["verb"]),
    Column("MESSAGE", lambda e: e["message"]),
    Column("TIME", lambda e: e["created_at"], wide=True),
]


@app.command()
def events(
    name: str = typer.Argument(..., help="The deployment's name."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
    limit: int = typer.Option(50, "--limit", help="At most this many, newest first."),
    output: Format = OUTPUT,
) -> None:
    """A deployment's audit trail and cluster events, newest first.

    Example: gantry events chat --limit 10
    """
    with make_api() as api:
        found = lookup.deployment(api, name, team_name=team, environment_name=environment)
        rows = []
        for row in api.each(f"deployments/{found['id']}/events/"):
            rows.append(row)
            if len(rows) >= limit:
                break
    emit(rows, output.value, columns=EVENT_COLUMNS, name=lambda e: f"event/{e['id']}")


REVISION_COLUMNS = [
    Column("REVISION", lambda r: r["number"]),
    Column("AGE", lambda r: age(r["created_at"])),
    Column("BY", lambda r: r["created_by"] or "gantry"),
    Column("REASON", lambda r: r["reason"]),
    Column("SPEC", lambda r: r["spec"], wide=True),
]


@app.command()
def history(
    name: str = typer.Argument(..., help="The deployment's name."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
    output: Format = OUTPUT,
) -> None:
    """A deployment's revisions, newest first: what `rollback --to` takes.

    Example: gantry history chat
    """
    with make_api() as api:
        found = lookup.deployment(api, name, team_name=team, environment_name=environment)
        rows = api.all(f"deployments/{found['id']}/revisions/")
    emit(rows, output.value, columns=REVISION_COLUMNS, name=lambda r: f"revision/{r['number']}")


QUOTA_COLUMNS = [
    Column("TEAM", lambda r: r["team_name"]),
    Column("RESOURCE", lambda r: r["resource"]),
    Column("LIMIT", lambda r: r["limit"] if r["limit"] is not None else "no limit"),
    Column("USED", lambda r: r["used"]),
    Column("FREE", lambda r: r["free"] if r["free"] is not None else "no limit"),
]


@app.command()
def quota(
    team: str = typer.Argument(None, help="A team's name; all of yours without one."),
    output: Format = OUTPUT,
) -> None:
    """What your teams may hold, hold, and have left, per resource.

    Example: gantry quota nlp
    """
    with make_api() as api:
        teams = [lookup.team(api, team)] if team else api.all("teams/")
        reports = [{**api.get(f"teams/{t['id']}/quota/"), "team_name": t["name"]} for t in teams]
    if output in (Format.json, Format.yaml):
        emit(reports[0] if team else reports, output.value, columns=[], name=str)
        return
    rows = [{**row, "team_name": r["team_name"]} for r in reports for row in r["resources"]]
    emit(rows, output.value, columns=QUOTA_COLUMNS, name=lambda r: f"quota/{r['resource']}")


describe = typer.Typer(help="Everything about one object.", no_args_is_help=True)
app.add_typer(describe, name="describe")


@describe.command("deployment")
def describe_deployment(
    name: str = typer.Argument(..., help="The deployment's name."),
    team: str = TEAM,
    environment: str = ENVIRONMENT,
) -> None:
    """Spec, conditions with reasons, pods and recent events of a deployment.

    Example: gantry describe deployment chat
    """
    with make_api() as api:
        found = lookup.deployment(api, name, team_name=team, environment_name=environment)
        try:
            pods: list[dict[str, Any]] | str = api.get(f"deployments/{found['id']}/pods/")[
                "results"
            ]
        except ApiError as exc:
            pods = exc.message
        recent = api.get(f"deployments/{found['id']}/events/", page_size=10)["results"]
    _print_description(found, pods, recent)


SPEC_SHOWN = (
    "replicas", "min_replicas", "max_replicas", "autoscaling_metric", "autoscaling_target",
    "cpu", "memory", "gpu_count", "gpu_model", "mig_profile", "auto_rollback",
)  # fmt: skip
POD_COLUMNS = [
    Column("POD", lambda p: p["name"]),
    Column("TRACK", lambda p: p["track"]),
    Column("VERSION", lambda p: p["version"]),
    Column("PHASE", lambda p: p["phase"]),
    Column("READY", lambda p: p["ready"]),
    Column("RESTARTS", lambda p: p["restarts"]),
    Column("REASON", lambda p: f"{p['reason']}: {p['message']}" if p["message"] else p["reason"]),
    Column("NODE", lambda p: p["node"]),
]
CONDITION_COLUMNS = [
    Column("CONDITION", lambda c: c.get("type")),
    Column("STATUS", lambda c: c.get("status")),
    Column("REASON", lambda c: c.get("reason")),
    Column("MESSAGE", lambda c: c.get("message")),
]


def _print_description(d: dict[str, Any], pods: Any, recent: list[dict[str, Any]]) -> None:
    console = out()
    status = d["status"]
    head = [
        ("Name", d["name"]),
        ("Team", d["team_name"]),
        ("Environment", d["environment_name"]),
        ("Version", f"{d['model']}:{d['version']}"),
        ("State", d["state"]),
        ("Canary", f"version id {d['canary_version']} at {d['canary_weight']}%"
         if d["canary_version"] else "none"),
        ("Generation", f"{status['observed_generation']} applied of {status['generation']}"),
        ("Replicas", f"{status['ready_replicas']} ready, {status['available_replicas']} available"),
    ]  # fmt: skip
    head += [(name, d.get(name)) for name in SPEC_SHOWN if d.get(name) not in (None, "")]
    if status.get("last_error"):
        head.append(("Last error", status["last_error"]))
    for label, value in head:
        console.print(f"{label + ':':<14}{value}", markup=False, highlight=False)
    console.print("\nConditions:", style="bold")
    console.print(render_table(status["conditions"], CONDITION_COLUMNS, wide=False))
    console.print("\nPods:", style="bold")
    if isinstance(pods, str):
        console.print(f"(cannot list them: {pods})", markup=False)
    elif pods:
        console.print(render_table(pods, POD_COLUMNS, wide=False))
    else:
        console.print("(none)")
    console.print("\nRecent events:", style="bold")
    console.print(render_table(recent, EVENT_COLUMNS, wide=False))
    if not recent:
        say("(no events yet)")
