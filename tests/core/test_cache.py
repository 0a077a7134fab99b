"""Django's cache over a stopped Redis misses instead of raising, and is used again once
Redis answers."""

import pytest
from django.conf import settings

from apps.core.cache import FailSoftRedisCache
from apps.core.lib import outage
from tests.servers import PrivateRedis


@pytest.fixture
def redis_server(tmp_path, monkeypatch):
    # Retry at once after a failure, so the test sees the recovery without waiting.
    monkeypatch.setattr(outage.redis_outage, "retry_after_s", 0)
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cache(redis_server):
    options = settings.CACHES["default"]["OPTIONS"]
    backend = FailSoftRedisCache(redis_server.url, {"KEY_PREFIX": "t", "OPTIONS": options})
    yield backend
    for pool in backend._cache._pools.values():  # Django's cache never closes its pools
        pool.disconnect()


def test_a_stopped_redis_makes_the_cache_miss_and_a_restarted_one_serves_again(redis_server, cache):
    cache.set("k", "before")
    assert cache.get("k") == "before"

    redis_server.stop()
    assert cache.get("k", "missed") == "missed"
    assert cache.get_many(["k"]) == {}
    assert cache.add("lock", "me") is False  # a lock is never granted during an outage
    assert cache.set("k", "during") is None
    assert cache.get_or_set("k", "computed") == "computed"
    assert cache.delete("k") is False

    redis_server.start()
    cache.set("k", "after")
    assert cache.get("k") == "after"
    assert cache.add("lock", "me") is True
