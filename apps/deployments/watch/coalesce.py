"""Many changes within a short window make one decision.

A target (a deployment, a team namespace) touched by a change is due `window_s`
later; touching it again before then changes nothing. A target can also be
touched for later, to look again after a reconcile was queued: if what the
cluster shows still differs then, the reconcile was lost or skipped, and it is
queued again, a few times, each wait twice the last.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable

RECHECK_FIRST_S = 2.0
RECHECK_LAST_S = 30.0
RECHECKS = 5


class Coalescer:
    """Targets due for a decision, each at most once at a time."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._due: dict[Hashable, float] = {}
        self._heap: list[tuple[float, int, Hashable]] = []
        self._order = itertools.count()
        self._rechecks: dict[Hashable, int] = {}

    def touch(self, target: Hashable, now: float, delay: float | None = None) -> None:
        """Due after the window (or `delay`), unless it is due sooner already."""
        at = now + (self.window_s if delay is None else delay)
        if target in self._due and self._due[target] <= at:
            return
        self._due[target] = at
        heapq.heappush(self._heap, (at, next(self._order), target))

    def pop_due(self, now: float) -> list[Hashable]:
        """The targets whose time has come, each once."""
        found = []
        while self._heap and self._heap[0][0] <= now:
            at, _, target = heapq.heappop(self._heap)
            if self._due.get(target) == at:
                del self._due[target]
                found.append(target)
        return found

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def acted(self, target: Hashable, now: float) -> None:
        """A reconcile was queued for `target`: look again later, less often each time."""
        count = self._rechecks.get(target, 0)
        if count >= RECHECKS:
            return  # the resync is the net from here
        self._rechecks[target] = count + 1
        self.touch(target, now, delay=min(RECHECK_LAST_S, RECHECK_FIRST_S * 2**count))

    def settled(self, target: Hashable) -> None:
        """Nothing was left to do for `target`."""
        self._rechecks.pop(target, None)

    def __len__(self) -> int:
        return len(self._due)
