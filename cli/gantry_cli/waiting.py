"""`wait`: poll a deployment until it reaches a state, saying why it is not there yet."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gantry_cli.client import Api
from gantry_cli.errors import TIMEOUT, ApiError, GantryError
from gantry_cli.output import condition

TARGETS = ("available", "degraded", "stopped", "deleted")
DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?")


@dataclass(frozen=True)
class Verdict:
    done: bool
    reason: str  # why not yet (or what it is), one line
    failed: bool = False  # it can no longer get there


def parse_duration(text: str) -> float:
    """'10m', '90s', '1h30m' or a number of seconds."""
    match = DURATION.fullmatch(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise GantryError(f"'{text}' is not a duration; write e.g. 90s, 10m or 1h30m.", code=2)
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _line(cond: dict[str, Any]) -> str:
    reason, message = cond.get("reason", ""), cond.get("message", "")
    return f"{reason}: {message}" if reason and message else reason or message


def judge(deployment: dict[str, Any], target: str) -> Verdict:
    """Whether `deployment` (as the API shows it) has reached `target`, and why not."""
    status = deployment.get("status") or {}
    generation = status.get("generation", 0)
    available = condition(deployment, "Available")
    degraded = condition(deployment, "Degraded")
    if target == "deleted":
        progressing = condition(deployment, "Progressing")
        return Verdict(False, _line(progressing) or f"state {deployment.get('state')}")
    if deployment.get("state") == "deleting":
        return Verdict(False, "It is being deleted.", failed=True)
    applied = status.get("observed_generation", 0) >= generation
    current = available.get("observed_generation", generation) >= generation
    if target == "degraded":
        done = degraded.get("status") == "True"
        return Verdict(done, _line(degraded if done else available) or "No conditions yet.")
    if target == "stopped":
        if deployment.get("state") != "stopped":
            return Verdict(False, "It is not stopped; stop it with `gantry stop`.", failed=True)
        progressing = condition(deployment, "Progressing")
        done = applied and progressing.get("reason") == "Stopped"
        return Verdict(done, _line(progressing) or "Waiting for the reconciler.")
    if not applied:
        reason = f"Waiting for the reconciler to apply generation {generation}"
        if status.get("last_error"):
            reason += f": {status['last_error']}"
        return Verdict(False, reason)
    done = available.get("status") == "True" and current
    return Verdict(done, _line(available) or "Waiting for the first observation.")


def wait(
    api: Api,
    deployment: dict[str, Any],
    target: str,
    *,
    timeout: float,
    say: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any] | None:
    """Poll until `target`; GantryError(code 2) when `timeout` runs out, 1 if it cannot."""
    start = clock()
    name, path = deployment["name"], f"deployments/{deployment['id']}/"
    said = ""
    polls = 0
    while True:
        try:
            current = api.get(path)
        except ApiError as exc:
            if exc.status == 404 and target == "deleted":
                say(f"{name}: deleted")
                return None
            raise
        verdict = judge(current, target)
        if verdict.reason != said:
            say(f"{name}: {verdict.reason}")
            said = verdict.reason
        if verdict.done:
            return current
        if verdict.failed:
            raise GantryError(f"{name} cannot become {target}: {verdict.reason}")
        elapsed = clock() - start
        if elapsed >= timeout:
            raise GantryError(
                f"Timed out after {timeout:.0f} s waiting for {name} to be {target}. "
                f"Last seen: {verdict.reason}",
                code=TIMEOUT,
            )
        polls += 1
        # Soon at first (a rollout's first steps come fast), then every few seconds.
        time.sleep(min(0.5 * polls, 3.0, max(timeout - elapsed, 0.1)))
