"""Crash points kill the process at the named step only, and only once with a marker."""

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

SCRIPT = (
    "from apps.core.lib.crashpoints import crashpoint\n"
    "crashpoint('other'); print('past other', flush=True)\n"
    "crashpoint('step'); print('past step', flush=True)\n"
)


def run(**env):
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )


def test_without_the_variable_nothing_happens():
    result = run(GANTRY_CRASH_AT="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["past other", "past step"]


def test_the_named_step_kills_the_process_with_sigkill():
    result = run(GANTRY_CRASH_AT="step")
    assert result.returncode == -signal.SIGKILL
    assert result.stdout == "past other\n"


def test_with_a_marker_only_the_first_process_dies(tmp_path):
    marker = str(tmp_path / "crashed")
    first = run(GANTRY_CRASH_AT="step", GANTRY_CRASH_MARKER=marker)
    second = run(GANTRY_CRASH_AT="step", GANTRY_CRASH_MARKER=marker)
    assert (first.returncode, second.returncode) == (-signal.SIGKILL, 0), second.stderr
