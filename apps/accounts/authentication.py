"""API authentication by personal token, and throttling per token."""

import functools
import threading
import time
from collections import Counter
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from apps.accounts.models import ApiToken
from apps.accounts.services import TokenRejected, authenticate_token
from apps.core.lib.outage import redis_outage

KEYWORD = b"bearer"


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` with a token from `create_token`.

    Error messages name the token by its prefix only, never by its secret.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'Bearer <token>', with one token and no spaces."
            )
        try:
            plain = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The API token is not valid.") from None
        try:
            token = authenticate_token(plain)
        except TokenRejected as rejected:
            raise exceptions.AuthenticationFailed(str(rejected)) from None
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="gantry"'


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from `manage.py create_token` or the admin.",
        }


class TokenRateThrottle(BaseThrottle):
    """At most GANTRY_API_THROTTLE_RATE requests per token (or browser user) per window.

    A fixed-window counter in Redis (in each process while Redis is down, so
    the limit then holds per process): one round trip per request, whatever the
    rate, which creates the window's key with its expiry if it is new and counts
    the request. (DRF's SimpleRateThrottle stores every request's timestamp and
    rewrites the whole list each time, which grows with the rate.) A client may
    send up to twice the rate across a window boundary; that is the price of
    O(1) and is fine for protecting the server.
    """

    def allow_request(self, request: Request, view: Any) -> bool:
        limit, window = parse_rate(settings.GANTRY_API_THROTTLE_RATE)
        now = time.time()
        start = int(now // window * window)
        key = f"{settings.CACHES['default']['KEY_PREFIX']}:throttle:{self._ident(request)}:{start}"
        self._wait = start + window - now
        return _count(key, start, window) <= limit

    def wait(self) -> float:
        return max(1.0, self._wait)

    def _ident(self, request: Request) -> str:
        if isinstance(request.auth, ApiToken):
            return f"token-{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return f"addr-{self.get_ident(request)}"


def _count(key: str, start: int, window: int) -> int:
    """This request's number in its window: shared through Redis, or in this process
    alone while Redis is down (a Redis outage must not take the API down with it)."""
    if not redis_outage.skip():
        pipeline = _redis().pipeline(transaction=False)
        pipeline.set(key, 0, ex=window + 1, nx=True)
        pipeline.incr(key)
        try:
            _, count = pipeline.execute()
        except (redis.RedisError, OSError, ValueError) as exc:
            # OSError and ValueError: a socket that broke mid-read ("Bad file descriptor",
            # "I/O operation on closed file"), seen under load; a count is not worth a 500.
            redis_outage.failed(exc, "the API throttle counts per process")
        else:
            redis_outage.answered()
            return count
    return _local_counts.incr(key, start)


class _LocalCounts:
    """Fixed-window counts of this process, for when Redis cannot keep them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._start = 0

    def incr(self, key: str, start: int) -> int:
        with self._lock:
            if start != self._start:  # a new window: earlier counts are over
                self._counts.clear()
                self._start = start
            self._counts[key] += 1
            return self._counts[key]


_local_counts = _LocalCounts()


@functools.cache
def _redis() -> redis.Redis:
    """One client, and so one connection pool, per process."""
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def parse_rate(rate: str) -> tuple[int, int]:
    """'1200/min' -> (1200, 60): requests allowed, and the window in seconds."""
    count, _, period = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(period[:1])
    if not count.isdigit() or seconds is None:
        raise ImproperlyConfigured(
            f"GANTRY_API_THROTTLE_RATE={rate!r} is not a rate; write e.g. '1200/min' or '20/s'."
        )
    return int(count), seconds
