"""Named locks that die with their holder, so a killed worker never leaves one behind.

On PostgreSQL a session-level advisory lock: the server drops it the moment the
holder's connection closes, crash or not. Other databases (SQLite for the
zero-setup `make run`) get a lock in the shared cache with an expiry instead.
Either way the lock is taken without waiting: a caller that finds it held
decides for itself what to do (for reconcile: nothing, the holder re-checks).
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection

# The top byte of every key, so Gantry's advisory locks never meet another app's.
_PREFIX = 0x47  # "G"
CACHE_LOCK_TTL_S = 300


def advisory_key(kind: int, ident: int) -> int:
    """A positive 64-bit key: Gantry's prefix, a kind of lock (0-255), an id below 2**48."""
    if not 0 <= kind < 256 or not 0 <= ident < 2**48:
        raise ValueError(f"lock kind {kind} or id {ident} is out of range")
    return (_PREFIX << 56) | (kind << 48) | ident


@contextmanager
def try_lock(kind: int, ident: int) -> Iterator[bool]:
    """Hold lock (kind, ident) for the block if it is free; yields whether it was taken."""
    if connection.vendor == "postgresql":
        with _advisory(advisory_key(kind, ident)) as held:
            yield held
    else:
        with _cached(f"lock:{kind}:{ident}") as held:
            yield held


@contextmanager
def _advisory(key: int) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextmanager
def _cached(name: str) -> Iterator[bool]:
    token = secrets.token_hex(8)
    held = cache.add(name, token, timeout=CACHE_LOCK_TTL_S)
    try:
        yield held
    finally:
        if held and cache.get(name) == token:
            cache.delete(name)
