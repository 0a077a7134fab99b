"""Gantry files: YAML documents of models (with versions) and deployments, checked
against the published JSON schema (schemas/gantry-file.schema.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from gantry_cli.errors import GantryError

KINDS = ("Model", "Deployment")
QUANTITIES = ("cpu", "memory", "default_cpu", "default_memory")


@dataclass
class VersionSpec:
    version: str
    fields: dict[str, Any]


@dataclass
class ModelSpec:
    team: str
    name: str
    fields: dict[str, Any]
    versions: list[VersionSpec] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"model/{self.name}"


@dataclass
class DeploymentSpec:
    team: str
    environment: str
    name: str
    version: str  # MODEL:VERSION
    fields: dict[str, Any]

    @property
    def ref(self) -> str:
        return f"deployment/{self.name}"


@dataclass
class GantryFile:
    models: list[ModelSpec] = field(default_factory=list)
    deployments: list[DeploymentSpec] = field(default_factory=list)


@cache
def schema() -> dict[str, Any]:
    text = resources.files("gantry_cli").joinpath("schemas/gantry-file.schema.json").read_text()
    return json.loads(text)


def parse(text: str, source: str = "the file") -> GantryFile:
    """Every document of `text`, checked; GantryError names the document and the field."""
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        raise GantryError(f"{source} is not valid YAML: {exc}") from None
    if not documents:
        raise GantryError(f"{source} holds no documents; see `gantry apply --help` for an example.")
    parsed = GantryFile()
    for number, document in enumerate(documents, start=1):
        where = f"{source}, document {number}"
        kind = _kind(document, where)
        _validate(document, kind, where)
        if kind == "Model":
            parsed.models.append(_model(document))
        else:
            parsed.deployments.append(_deployment(document))
    _refuse_duplicates(parsed, source)
    return parsed


def _kind(document: Any, where: str) -> str:
    if not isinstance(document, dict):
        raise GantryError(f"{where}: a document must be a mapping with a `kind`, e.g. kind: Model.")
    kind = document.get("kind")
    if kind not in KINDS:
        raise GantryError(f"{where}: kind must be Model or Deployment, not {kind!r}.")
    return kind


def _validate(document: dict[str, Any], kind: str, where: str) -> None:
    # Imported here: it is most of the CLI's start-up time, and only files need it.
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator({"$defs": schema()["$defs"], "$ref": f"#/$defs/{kind}"})
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        name = document.get("name", "?")
        lines = [f"{where} ({kind.lower()}/{name}) is not valid:"]
        for error in errors:
            path = ".".join(str(part) for part in error.absolute_path) or "(document)"
            lines.append(f"  {path}: {error.message}")
        raise GantryError("\n".join(lines))


def _plain(values: dict[str, Any], skip: tuple[str, ...]) -> dict[str, Any]:
    """The fields as the API shows them: quantities as strings (`cpu: 2` is "2")."""
    return {
        key: str(value) if key in QUANTITIES and value is not None else value
        for key, value in values.items()
        if key not in skip
    }


def _model(document: dict[str, Any]) -> ModelSpec:
    return ModelSpec(
        team=document["team"],
        name=document["name"],
        fields=_plain(document, ("kind", "team", "name", "versions")),
        versions=[
            VersionSpec(version=v["version"], fields=_plain(v, ("version",)))
            for v in document.get("versions", [])
        ],
    )


def _deployment(document: dict[str, Any]) -> DeploymentSpec:
    return DeploymentSpec(
        team=document["team"],
        environment=document["environment"],
        name=document["name"],
        version=document["version"],
        fields=_plain(document, ("kind", "team", "environment", "name", "version")),
    )


def _refuse_duplicates(parsed: GantryFile, source: str) -> None:
    seen: set[tuple[str, ...]] = set()
    keys = [("model", m.team, m.name) for m in parsed.models]
    keys += [("version", m.team, m.name, v.version) for m in parsed.models for v in m.versions]
    keys += [("deployment", d.team, d.environment, d.name) for d in parsed.deployments]
    for key in keys:
        if key in seen:
            raise GantryError(f"{source} declares {key[0]} {'/'.join(key[1:])} twice; keep one.")
        seen.add(key)
