"""`logs`: the containers' logs through deployments/{id}/pods/{pod}/logs/.

The API answers the last lines of a log, not a stream, so `--follow` asks again
every few seconds and prints only the lines after those it printed before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gantry_cli.client import Api
from gantry_cli.errors import ApiError, GantryError

FOLLOW_INTERVAL_S = 2.0
FOLLOW_TAIL = 1000


@dataclass(frozen=True)
class LogQuery:
    container: str | None = None
    previous: bool = False
    tail: int | None = None
    since: str | None = None


def new_lines(before: list[str], now: list[str]) -> list[str]:
    """The lines of `now` after those already seen in `before`.

    `now` is a later window of the same log: its start may have moved past the
    start of `before`. The longest tail of `before` that `now` starts with is the
    overlap; with none, the whole of `now` is new.
    """
    for start in range(len(before)):
        overlap = before[start:]
        if now[: len(overlap)] == overlap:
            return now[len(overlap) :]
    return now


def prefixed(pod: str, text: str, several: bool) -> list[str]:
    lines = text.splitlines()
    return [f"[{pod}] {line}" for line in lines] if several else lines


def pods_of(api: Api, deployment: dict[str, Any], pod: str | None) -> list[str]:
    rows = api.get(f"deployments/{deployment['id']}/pods/")["results"]
    names = [row["name"] for row in rows]
    if pod:
        if pod not in names:
            shown = ", ".join(names) or "none"
            raise GantryError(f"{deployment['name']} has no pod '{pod}' (its pods: {shown}).")
        return [pod]
    if not names:
        raise GantryError(
            f"{deployment['name']} has no pods now; see why with "
            f"`gantry describe deployment {deployment['name']}`."
        )
    return names


def read(api: Api, deployment: dict[str, Any], pod: str, query: LogQuery) -> str:
    return api.text(
        f"deployments/{deployment['id']}/pods/{pod}/logs/",
        container=query.container,
        previous="true" if query.previous else None,
        tail=query.tail,
        since=query.since,
    )


def show(
    api: Api,
    deployment: dict[str, Any],
    pods: list[str],
    query: LogQuery,
    write: Callable[[str], None],
    warn: Callable[[str], None],
) -> dict[str, list[str]]:
    """Print each pod's log; a pod whose log is unavailable is named on stderr.

    Returns the lines seen per pod; GantryError if no pod's log could be read.
    """
    several = len(pods) > 1
    seen: dict[str, list[str]] = {}
    failures = []
    for pod in pods:
        try:
            text = read(api, deployment, pod, query)
        except ApiError as exc:
            if exc.status in (401, 403, 404) or not several:
                raise
            failures.append(exc)
            warn(f"{pod}: {exc.message}")
            continue
        seen[pod] = text.splitlines()
        for line in prefixed(pod, text, several):
            write(line)
    if failures and not seen:
        raise failures[0]
    return seen


def follow(
    api: Api,
    deployment: dict[str, Any],
    pods: list[str],
    query: LogQuery,
    seen: dict[str, list[str]],
    write: Callable[[str], None],
) -> None:
    """Print new lines as they come, until interrupted."""
    several = len(pods) > 1
    again = LogQuery(container=query.container, tail=FOLLOW_TAIL)
    while True:
        time.sleep(FOLLOW_INTERVAL_S)
        for pod in pods:
            try:
                lines = read(api, deployment, pod, again).splitlines()
            except ApiError:
                continue  # a restarting container: its next log comes on a later round
            fresh = new_lines(seen.get(pod, []), lines)
            seen[pod] = lines
            for line in fresh:
                write(f"[{pod}] {line}" if several else line)
