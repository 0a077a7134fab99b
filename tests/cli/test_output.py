"""Formatting: tables, JSON, YAML, names, ages."""

import io
import json
from datetime import UTC, datetime

import yaml
from rich.console import Console

from gantry_cli import output
from gantry_cli.output import Column, age, render_table

ROWS = [{"name": "chat", "replicas": 2, "note": ""}, {"name": "embed", "replicas": 0, "note": "x"}]
COLUMNS = [
    Column("NAME", lambda r: r["name"]),
    Column("REPLICAS", lambda r: r["replicas"]),
    Column("NOTE", lambda r: r["note"], wide=True),
]


def _text(table) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(table)
    return buffer.getvalue()


def test_a_table_is_plain_columns_and_wide_adds_columns():
    narrow = _text(render_table(ROWS, COLUMNS, wide=False)).splitlines()
    wide = _text(render_table(ROWS, COLUMNS, wide=True)).splitlines()

    assert [line.split() for line in narrow] == [
        ["NAME", "REPLICAS"],
        ["chat", "2"],
        ["embed", "0"],
    ]
    assert [line.split() for line in wide][1] == ["chat", "2", "-"]


def test_json_yaml_and_names_print_the_data(capsys):
    for fmt, load in (("json", json.loads), ("yaml", yaml.safe_load)):
        output.emit(ROWS, fmt, columns=COLUMNS, name=lambda r: f"deployment/{r['name']}")
        assert load(capsys.readouterr().out) == ROWS
    output.emit(ROWS, "name", columns=COLUMNS, name=lambda r: f"deployment/{r['name']}")
    assert capsys.readouterr().out == "deployment/chat\ndeployment/embed\n"


def test_a_table_into_a_pipe_has_no_colour_codes(capsys):
    output.emit(ROWS, "table", columns=COLUMNS, name=str)

    assert "\x1b[" not in capsys.readouterr().out


def test_ages_read_as_kubectl_shows_them():
    now = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)

    assert age("2026-01-02T11:59:20Z", now) == "40s"
    assert age("2026-01-02T11:48:00Z", now) == "12m"
    assert age("2025-12-30T12:00:00+00:00", now) == "3d"
    assert age(None, now) == ""
