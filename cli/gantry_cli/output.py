"""Printing: data on stdout (a table, JSON, YAML or names), messages on stderr.

rich leaves colour out when NO_COLOR is set or the stream is not a terminal; a
table printed into a pipe is plain columns of text, never wrapped to 80.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "wide", "json", "yaml", "name")


def _console(stream: Any) -> Console:
    terminal = stream.isatty()
    # Off a terminal there is no width to fit; a pipe gets whole lines.
    return Console(file=stream, width=None if terminal else 100_000, highlight=False)


def out() -> Console:
    return _console(sys.stdout)


def err() -> Console:
    return _console(sys.stderr)


def say(message: str, style: str = "") -> None:
    """A message for the person, on stderr."""
    err().print(message, style=style or None, markup=False, soft_wrap=True)


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[dict[str, Any]], Any]
    wide: bool = False  # shown with -o wide only


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], *, wide: bool) -> Table:
    shown = [c for c in columns if wide or not c.wide]
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in shown:
        table.add_column(column.header, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(column.value(row)) for column in shown))
    return table


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def to_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def emit(
    data: Any,
    fmt: str,
    *,
    columns: Sequence[Column],
    name: Callable[[dict[str, Any]], str],
) -> None:
    """Print one object (a dict) or a list of them in `fmt`."""
    rows = data if isinstance(data, list) else [data]
    if fmt == "json":
        sys.stdout.write(to_json(data) + "\n")
    elif fmt == "yaml":
        sys.stdout.write(to_yaml(data))
    elif fmt == "name":
        for row in rows:
            sys.stdout.write(name(row) + "\n")
    else:
        out().print(render_table(rows, columns, wide=fmt == "wide"))


def age(timestamp: str | None, now: datetime | None = None) -> str:
    """'3d', '5h', '12m', '40s' since an ISO 8601 time, as kubectl shows ages."""
    if not timestamp:
        return ""
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return timestamp
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def condition(deployment: dict[str, Any], type_: str) -> dict[str, Any]:
    conditions = (deployment.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") == type_), {})
