"""Where the CLI finds its server and token: named contexts in a TOML file, and
GANTRY_URL / GANTRY_TOKEN in the environment, which override them (CI sets those).

The file is `${XDG_CONFIG_HOME:-~/.config}/gantry/config.toml`, readable by its owner
only, since it holds tokens:

    current = "prod"

    [contexts.prod]
    url = "https://gantry.example.com"
    token = "gnt_..."
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from gantry_cli.errors import GantryError


@dataclass
class Context:
    name: str
    url: str
    token: str


@dataclass
class Config:
    current: str = ""
    contexts: dict[str, Context] = field(default_factory=dict)


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "gantry" / "config.toml"


def load(path: Path | None = None) -> Config:
    path = path or config_path()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return Config()
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GantryError(
            f"Cannot read {path}: {exc}. Fix or delete the file, then run `gantry login` again."
        ) from None
    contexts = {
        name: Context(name=name, url=str(entry.get("url", "")), token=str(entry.get("token", "")))
        for name, entry in (data.get("contexts") or {}).items()
        if isinstance(entry, dict)
    }
    return Config(current=str(data.get("current", "")), contexts=contexts)


def save(config: Config, path: Path | None = None) -> Path:
    """Write the file with mode 0600 (its folder 0700): it holds tokens."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {
        "current": config.current,
        "contexts": {c.name: {"url": c.url, "token": c.token} for c in config.contexts.values()},
    }
    # Created 0600 before anything is written, so the token is never readable by others.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(tomli_w.dumps(data))
    return path


def resolve(config: Config, name: str | None, environ: dict[str, str]) -> Context:
    """The context to use: `name` (or GANTRY_CONTEXT, or the current one), with
    GANTRY_URL and GANTRY_TOKEN overriding its URL and token."""
    wanted = name or environ.get("GANTRY_CONTEXT") or config.current
    if wanted and wanted not in config.contexts and name:
        known = ", ".join(sorted(config.contexts)) or "none yet"
        raise GantryError(
            f"There is no context named '{wanted}' (known: {known}). "
            "Add it with `gantry login --url URL --context NAME`."
        )
    base = config.contexts.get(wanted) if wanted else None
    url = environ.get("GANTRY_URL") or (base.url if base else "")
    token = environ.get("GANTRY_TOKEN") or (base.token if base else "")
    if not url:
        raise GantryError(
            "No Gantry server is set. Log in with `gantry login --url https://gantry.example.com`, "
            "or set GANTRY_URL and GANTRY_TOKEN."
        )
    if not token:
        raise GantryError(
            f"No token for {url}. Log in with `gantry login --url {url}`, or set GANTRY_TOKEN."
        )
    return Context(name=base.name if base else "(environment)", url=url.rstrip("/"), token=token)
