"""Backoff: exponential, jittered, capped, and never sooner than the server asked."""

import random

from apps.core.lib.backoff import backoff_delay


def delays(attempt, **kwargs):
    rng = random.Random(1)
    return [backoff_delay(attempt, rng=rng, **kwargs) for _ in range(200)]


def test_each_attempt_waits_between_half_and_all_of_its_step():
    for attempt, step in [(0, 1), (1, 2), (3, 8)]:
        seen = delays(attempt)
        assert step / 2 <= min(seen) <= max(seen) <= step, (attempt, min(seen), max(seen))


def test_jitter_spreads_the_retries_of_many_workers():
    assert len({round(d, 3) for d in delays(4)}) > 100


def test_the_delay_never_exceeds_the_cap():
    assert max(delays(30, cap=60)) <= 60


def test_retry_after_is_a_floor():
    assert min(delays(0, retry_after=7)) == 7


def test_retry_after_beyond_the_cap_is_capped():
    assert max(delays(0, retry_after=500, cap=60)) == 60
