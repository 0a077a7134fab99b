"""Exponential backoff with jitter, for retrying what may succeed next time."""

import random


def backoff_delay(
    attempt: int,
    *,
    base: float = 1.0,
    cap: float = 60.0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry).

    "Equal jitter": half the exponential step, plus a random share of the other
    half, so many workers retrying at once spread out but never retry at once.
    A server's Retry-After is a floor (it knows when it will be ready), still capped.
    """
    step = min(cap, base * 2 ** max(0, attempt))
    delay = step / 2 + (rng or random).uniform(0, step / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, cap)
