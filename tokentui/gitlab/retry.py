"""The one retry policy of the API layer.

Only reads (GET, HEAD) are retried: on 429 (honouring ``Retry-After`` up to a cap), on
500/502/503/504, and on connections that broke (reset, dropped) or timed out connecting.
Nothing listening (connection refused) and a host name that does not resolve are no
transient faults: they are reported at once. Writes (POST, PUT, PATCH, DELETE) are never
retried: a retried rotate would revoke the value the first one returned.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from tokentui.gitlab.errors import (
    ConnectionFailed,
    ConnectionRefused,
    GitLabError,
    HostNotFound,
    RateLimited,
    RequestTimedOut,
    ServerError,
)

#: ``on_retry(attempt, delay_seconds, reason)``: called before each retry sleep. ``attempt``
#: is the number of the attempt about to be made (2 for the first retry).
RetryHook = Callable[[int, float, str], None]
Sleep = Callable[[float], Awaitable[None]]

READ_METHODS = frozenset({"GET", "HEAD"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry a read.

    ``max_attempts`` counts the first try. The backoff before retry *n* is
    ``base_delay * 2**(n-1)`` with full jitter in [50%, 100%], at most ``max_delay``. A server's
    ``Retry-After`` wins over the backoff but is capped at ``max_retry_after``.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def may_retry(self, method: str) -> bool:
        """Whether requests of ``method`` are ever retried."""
        return method.upper() in READ_METHODS and self.max_attempts > 1

    def backoff(self, retry_number: int) -> float:
        """Jittered exponential delay before retry number ``retry_number`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        return ceiling * (0.5 + random.random() / 2)

    def decide(self, error: GitLabError, retry_number: int) -> tuple[float, str] | None:
        """``(delay, reason)`` if ``error`` on a read is worth retry number ``retry_number``,
        else None."""
        if retry_number >= self.max_attempts:
            return None
        if isinstance(error, RateLimited):
            if error.retry_after is None:
                delay = self.backoff(retry_number)
                return delay, f"rate limited by GitLab; retrying in {delay:.1f} s"
            if error.retry_after > self.max_retry_after:
                return (
                    self.max_retry_after,
                    f"rate limited by GitLab, which asked to wait {error.retry_after:.0f} s; "
                    f"waiting at most {self.max_retry_after:.0f} s",
                )
            delay = error.retry_after
            return delay, f"rate limited by GitLab; retrying in {delay:.1f} s as it asked"
        if isinstance(error, ServerError) and error.status in RETRY_STATUSES:
            delay = self.backoff(retry_number)
            return delay, f"GitLab answered HTTP {error.status}; retrying in {delay:.1f} s"
        if _transient(error):
            delay = self.backoff(retry_number)
            return delay, f"connection problem; retrying in {delay:.1f} s"
        return None


def _transient(error: GitLabError) -> bool:
    """A failed connection worth another try: reset, dropped, or a connect timeout. Not a
    refused connection (nothing listens there: a server that is down or a wrong port) nor a
    DNS failure, which a few seconds will not heal; not a read timeout, which already waited
    long."""
    cause = error.__cause__
    if isinstance(error, ConnectionRefused | HostNotFound):
        return False
    if isinstance(error, ConnectionFailed):
        return True
    if isinstance(error, RequestTimedOut):
        return isinstance(cause, httpx.ConnectTimeout)
    return False
