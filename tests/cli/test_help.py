"""Every command's --help, read in-process (no server needed)."""

import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from gantry_cli import main


def _commands(group: TyperGroup, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


def test_every_command_has_help_with_an_example():
    main._register()
    root = typer.main.get_command(main.app)
    paths = list(_commands(root))
    assert {("get", "deployments"), ("canary", "promote"), ("context", "use")} <= set(paths)

    for path in paths:
        result = CliRunner().invoke(main.app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Example:" in result.output, path
