"""Django's Redis cache, failing soft: a Redis outage costs speed, never a request.

While Redis is down, reads miss, writes are dropped and `add` reports the key
as taken (so a cache lock is never granted twice). See apps.core.lib.outage.
"""

from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

from apps.core.lib.outage import redis_outage

T = TypeVar("T")
DOING_WITHOUT = "the cache misses"


def _soft(fallback: T, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    if redis_outage.skip():
        return fallback
    try:
        result = call(*args, **kwargs)
    except redis.RedisError as exc:
        redis_outage.failed(exc, DOING_WITHOUT)
        return fallback
    redis_outage.answered()
    return result


class FailSoftRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return _soft(default, super().get, key, default, version)

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        return _soft({}, super().get_many, keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return _soft(False, super().has_key, key, version)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return _soft(False, super().add, key, value, timeout, version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        _soft(None, super().set, key, value, timeout, version)

    def set_many(
        self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list:
        return _soft(list(data), super().set_many, data, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return _soft(False, super().touch, key, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return _soft(False, super().delete, key, version)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        _soft(None, super().delete_many, keys, version)

    def clear(self) -> None:
        _soft(None, super().clear)
