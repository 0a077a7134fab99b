"""Remember, per process, that a shared server is down, so requests stop waiting on it.

Redis is a broker and a cache, never the source of truth: while it is down the
API keeps answering without it. After a failure each process leaves it alone
for RETRY_AFTER_S, then tries again; the outage and the recovery are logged
once each, not once per request.
"""

import logging
import threading
import time

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5.0


class Outage:
    """The state of one server's outage in this process."""

    def __init__(self, server: str, retry_after_s: float = RETRY_AFTER_S) -> None:
        self.server = server
        self.retry_after_s = retry_after_s
        self._down = False
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def skip(self) -> bool:
        """Whether to go without the server for now (it failed moments ago)."""
        return self._down and time.monotonic() < self._retry_at

    def failed(self, exc: Exception, doing_without: str) -> None:
        with self._lock:
            first = not self._down
            self._down = True
            self._retry_at = time.monotonic() + self.retry_after_s
        if first:
            log.warning(
                "%s is unreachable (%s); %s until it is back", self.server, exc, doing_without
            )

    def reset(self) -> None:
        """Forget the outage at once (a test that stopped a server, as it ends)."""
        with self._lock:
            self._down, self._retry_at = False, 0.0

    def answered(self) -> None:
        if not self._down:
            return
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            log.warning("%s answers again", self.server)


redis_outage = Outage("Redis")
