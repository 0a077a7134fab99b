"""Readiness probes of the servers Gantry needs, as plain functions."""

import redis
from django.conf import settings
from django.db import Error as DatabaseError
from django.db import connection


def check_database() -> str | None:
    """None when the database answers, else why not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:  # Django wraps every driver error in django.db.Error
        return f"database unreachable: {exc.__class__.__name__}: {exc}".strip()
    return None


def check_redis() -> str | None:
    """None when Redis answers PING, else why not."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"redis unreachable at {_without_password(settings.REDIS_URL)}: {exc}"
    finally:
        client.close()
    return None


def _without_password(url: str) -> str:
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"
