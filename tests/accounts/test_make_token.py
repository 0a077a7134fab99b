"""`make token USER=alice` works as written in a `make run` checkout: DEBUG and SECRET_KEY
unset, the secret key in the state directory that `make run` generated."""

import os
import subprocess
from pathlib import Path

import pytest

from apps.accounts.services import authenticate_token
from tests.factories import UserFactory
from tests.servers import session_database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def _make(state: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "MAKEFLAGS", "MAKELEVEL")
    }
    env.update(GANTRY_STATE_DIR=str(state), DATABASE_URL=session_database_url())
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def run_state(tmp_path) -> Path:
    """A state directory as `make run` leaves it: the secret key it generated."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "secret_key").write_text("s" * 86 + "\n")
    return state


def test_make_token_prints_a_working_token_for_the_user(run_state):
    alice = UserFactory(username="alice")

    result = _make(run_state, "token", "USER=alice", "NAME=ci", "DAYS=30")

    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert "\n" not in token
    assert authenticate_token(token).user == alice
    assert "Token 'ci' for alice expires" in result.stderr


def test_make_token_without_a_user_says_how_to_call_it(run_state):
    result = _make(run_state, "token")

    assert result.returncode == 2
    assert "usage: make token USER=<username>" in result.stderr


def test_make_token_before_any_make_run_says_what_is_missing(tmp_path):
    result = _make(tmp_path / "empty", "token", "USER=alice")

    assert result.returncode != 0
    assert "secret_key is missing: start Gantry once with 'make run'" in result.stderr
