"""`apply` and `diff`: read what the server holds for each object of a file, compare,
then (for apply) create what is missing and update what differs, in order: models,
their versions, then the deployments that run them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gantry_cli import lookup
from gantry_cli.client import Api
from gantry_cli.errors import GantryError
from gantry_cli.filespec import DeploymentSpec, GantryFile, ModelSpec
from gantry_cli.plan import CREATE, UNCHANGED, Change, compare


@dataclass
class Step:
    change: Change
    run: Callable[[], dict[str, Any]]  # does the change; answers the object as it is now


class Planner:
    """Reads the server once per object; remembers teams and environments by name."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._teams: dict[str, int] | None = None
        self._environments: dict[str, int] | None = None

    def team_id(self, name: str) -> int:
        if self._teams is None:
            self._teams = {t["name"]: t["id"] for t in self.api.all("teams/")}
        if name not in self._teams:
            known = ", ".join(sorted(self._teams)) or "none"
            raise GantryError(f"You are not in a team named '{name}' (yours: {known}).")
        return self._teams[name]

    def environment_id(self, name: str) -> int:
        if self._environments is None:
            self._environments = {e["name"]: e["id"] for e in self.api.all("environments/")}
        if name not in self._environments:
            raise GantryError(
                f"There is no environment '{name}' open to your teams; "
                "see them with `gantry get environments`."
            )
        return self._environments[name]

    def steps(self, parsed: GantryFile) -> list[Step]:
        steps: list[Step] = []
        for spec in parsed.models:
            steps.extend(self._model_steps(spec))
        for spec in parsed.deployments:
            steps.append(self._deployment_step(spec))
        return steps

    def _model_steps(self, spec: ModelSpec) -> list[Step]:
        team_id = self.team_id(spec.team)
        current = lookup.find_model(self.api, spec.name, team_id=team_id)
        change = compare(spec.ref, spec.fields, current)
        holder: dict[str, Any] = {"model": current}

        def run_model() -> dict[str, Any]:
            if change.action == CREATE:
                body = {"team": team_id, "name": spec.name, **spec.fields}
                holder["model"] = self.api.post("models/", body)
            elif change.changes:
                body = {name: new for name, (_, new) in change.fields.items()}
                holder["model"] = self.api.patch(f"models/{current['id']}/", body)
            return holder["model"]

        steps = [Step(change, run_model)]
        existing = (
            {v["version"]: v for v in lookup.versions(self.api, current["id"])} if current else {}
        )
        for version in spec.versions:
            old = existing.get(version.version)
            version_change = compare(f"version/{spec.name}:{version.version}", version.fields, old)
            steps.append(
                Step(version_change, self._version_run(version_change, version, old, holder))
            )
        return steps

    def _version_run(
        self, change: Change, version: Any, old: dict | None, holder: dict
    ) -> Callable:
        def run() -> dict[str, Any]:
            model_id = holder["model"]["id"]
            if change.action == CREATE:
                body = {"version": version.version, **version.fields}
                return self.api.post(f"models/{model_id}/versions/", body)
            if change.changes:
                body = {name: new for name, (_, new) in change.fields.items()}
                return self.api.patch(f"models/{model_id}/versions/{old['id']}/", body)
            return old or {}

        return run

    def _deployment_step(self, spec: DeploymentSpec) -> Step:
        team_id = self.team_id(spec.team)
        environment_id = self.environment_id(spec.environment)
        lookup.split_version(spec.version)
        rows = self.api.all(
            "deployments/", name=spec.name, team=team_id, environment=environment_id
        )
        current = next((d for d in rows if d["name"] == spec.name), None)
        desired = {"version": spec.version, **spec.fields}
        shown = (
            {**current, "version": f"{current['model']}:{current['version']}"} if current else None
        )
        change = compare(spec.ref, desired, shown)

        def run() -> dict[str, Any]:
            if not change.changes:
                return current or {}
            body = {name: new for name, (_, new) in change.fields.items()}
            if "version" in body:
                found = lookup.version(self.api, body.pop("version"), team_id=team_id)
                body["model_version"] = found["id"]
            if change.action == CREATE:
                body.update(name=spec.name, team=team_id, environment=environment_id)
                return self.api.post("deployments/", body)
            return self.api.patch(f"deployments/{current['id']}/", body)

        return Step(change, run)


def plan(api: Api, parsed: GantryFile) -> list[Step]:
    return Planner(api).steps(parsed)


def execute(steps: list[Step], report: Callable[[Change], None]) -> list[dict[str, Any]]:
    """Run the steps in order; a refusal stops there (what came before stays done)."""
    deployments = []
    for step in steps:
        try:
            result = step.run()
        except GantryError as exc:
            exc.message = f"{step.change.ref}: {exc.message}"
            raise
        report(step.change)
        if step.change.ref.startswith("deployment/"):
            deployments.append(result)
    return deployments


def summary(change: Change) -> str:
    verbs = {CREATE: "created", UNCHANGED: "unchanged"}
    return f"{change.ref} {verbs.get(change.action, 'updated')}"
