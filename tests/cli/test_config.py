"""Contexts in the config file, and the environment's overrides."""

import stat
import subprocess
import sys

import pytest

from gantry_cli.config import Config, Context, load, resolve, save
from gantry_cli.errors import GantryError


def test_the_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "gantry" / "config.toml"
    config = Config(current="prod", contexts={"prod": Context("prod", "https://g.example", "t1")})

    save(config, path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load(path) == config


def test_environment_overrides_the_contexts_url_and_token():
    config = Config(current="prod", contexts={"prod": Context("prod", "https://g.example", "t1")})

    assert resolve(config, None, {}).token == "t1"
    chosen = resolve(config, None, {"GANTRY_TOKEN": "t2", "GANTRY_URL": "http://ci:8000/"})
    assert (chosen.url, chosen.token) == ("http://ci:8000", "t2")


def test_no_server_at_all_says_how_to_log_in():
    with pytest.raises(GantryError, match="gantry login --url"):
        resolve(Config(), None, {})


def test_an_unknown_context_names_the_known_ones():
    config = Config(contexts={"prod": Context("prod", "https://g.example", "t1")})

    with pytest.raises(GantryError, match=r"no context named 'dev' \(known: prod\)"):
        resolve(config, "dev", {})


def test_the_cli_imports_no_django():
    # It must run on a laptop with nothing but the network to Gantry.
    code = (
        "import sys, gantry_cli.main as m; m._register(); "
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('django', 'apps')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
