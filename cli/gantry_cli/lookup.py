"""Names to ids: the API takes ids, people type names.

Teams and environments are few, so they are listed whole; models and deployments
are found with the API's `name` filter (a substring match) and then matched exactly.
"""

from __future__ import annotations

from typing import Any

from gantry_cli.client import Api
from gantry_cli.errors import GantryError


def _one(rows: list[dict[str, Any]], what: str, name: str, hint: str) -> dict[str, Any]:
    if not rows:
        raise GantryError(f"There is no {what} '{name}' in your teams. {hint}")
    if len(rows) > 1:
        raise GantryError(
            f"Several {what}s are named '{name}'; say which with --team and --environment "
            "(or give its id)."
        )
    return rows[0]


def team(api: Api, name: str) -> dict[str, Any]:
    rows = [t for t in api.all("teams/") if t["name"] == name or str(t["id"]) == name]
    return _one(rows, "team", name, "See yours with `gantry whoami`.")


def teams_by_id(api: Api) -> dict[int, str]:
    return {t["id"]: t["name"] for t in api.all("teams/")}


def environment(api: Api, name: str) -> dict[str, Any]:
    rows = [e for e in api.all("environments/") if e["name"] == name or str(e["id"]) == name]
    return _one(rows, "environment", name, "See them with `gantry get environments`.")


def model(api: Api, name: str, *, team_id: int | None = None) -> dict[str, Any]:
    rows = [
        m
        for m in api.all("models/", name=name, team=team_id)
        if m["name"] == name or str(m["id"]) == name
    ]
    if len(rows) > 1:
        raise GantryError(f"Several of your teams have a model '{name}'; say which with --team.")
    return _one(rows, "model", name, "See them with `gantry get models`.")


def find_model(api: Api, name: str, *, team_id: int | None) -> dict[str, Any] | None:
    rows = [m for m in api.all("models/", name=name, team=team_id) if m["name"] == name]
    return rows[0] if rows else None


def split_version(ref: str) -> tuple[str, str]:
    """'llama:v1' -> ('llama', 'v1'); a bare or empty part is refused with an example."""
    model_name, _, label = ref.partition(":")
    if not model_name or not label:
        raise GantryError(
            f"'{ref}' is not a version reference; write MODEL:VERSION, e.g. llama:v1."
        )
    return model_name, label


def versions(api: Api, model_id: int) -> list[dict[str, Any]]:
    return api.all(f"models/{model_id}/versions/")


def version(api: Api, ref: str, *, team_id: int | None = None) -> dict[str, Any]:
    model_name, label = split_version(ref)
    found = model(api, model_name, team_id=team_id)
    rows = [v for v in versions(api, found["id"]) if v["version"] == label]
    return _one(rows, "version", ref, f"See them with `gantry get versions {model_name}`.")


def deployment(
    api: Api, name: str, *, team_name: str | None = None, environment_name: str | None = None
) -> dict[str, Any]:
    """A deployment by name (or id), narrowed by team and environment names."""
    if name.isdigit():
        return api.get(f"deployments/{name}/")
    params: dict[str, Any] = {"name": name}
    if team_name:
        params["team"] = team(api, team_name)["id"]
    if environment_name:
        params["environment"] = environment(api, environment_name)["id"]
    rows = [d for d in api.all("deployments/", **params) if d["name"] == name]
    if len(rows) > 1:
        places = ", ".join(f"{d['team_name']}/{d['environment_name']}" for d in rows)
        raise GantryError(
            f"Several deployments are named '{name}' ({places}); say which with "
            "--team and --environment, or give its id."
        )
    return _one(rows, "deployment", name, "See them with `gantry get deployments`.")
