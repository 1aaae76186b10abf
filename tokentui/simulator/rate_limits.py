"""GitLab's authenticated API throttle (Rack::Attack, gitlab-api.md §1.5, §7.7), per credential.

``SimulatorConfig(rate_limit=N, rate_limit_period=P)`` (``tokentui simulate --rate-limit N``):
each credential may make N requests per window of P seconds (default 60). As Rack::Attack
(``Rack::Attack::Throttle``, GitLab's ``lib/gitlab/rack_attack.rb``):

* windows are fixed and aligned on the epoch (``epoch_time / period``), time in whole seconds;
* every request is counted, a throttled one too (the count goes up, then ``count > limit``
  throttles), so ``RateLimit-Observed`` can pass the limit while a client keeps knocking;
* the answer above the limit is ``429`` ``text/plain`` ``Retry later\\n`` with ``RateLimit-Name:
  throttle_authenticated_api``, ``RateLimit-Limit`` (the quota normalised to 60 s, rounded up),
  ``-Observed``, ``-Remaining`` (``max(limit - observed, 0)``), ``-Reset`` (epoch seconds of the
  window's end), ``-ResetTime`` (HTTP date) and ``Retry-After`` (seconds to the end);
* the same ``RateLimit-*`` headers (not ``Retry-After``) go on every answer while the throttle
  is on, as newer GitLab and GitLab.com send them.

Deviation: GitLab counts per user (the token's owner); the simulator counts per credential
(each of its credentials belongs to another user). Requests without a credential are not
throttled (GitLab has a separate, per-IP unauthenticated throttle). The credential is kept
only as a SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import parse_qsl

THROTTLE_NAME = "throttle_authenticated_api"


@dataclass(frozen=True, slots=True)
class WindowCount:
    """Requests one credential made in one window: ``start`` (epoch seconds), every request
    counted (``requests``, throttled ones included) and how many were throttled."""

    start: int
    requests: int
    throttled: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the throttle says about one request: headers to add, and whether to answer 429."""

    headers: dict[str, str]
    throttled: bool
    retry_after: int = 0


def credential_of(headers: list[tuple[bytes, bytes]], query: str) -> str | None:
    """The token a request carries (``PRIVATE-TOKEN``, ``Authorization: Bearer``,
    ``?private_token=``), as the simulator's authentication reads it."""
    bearer = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"private-token" and value.strip():
            return value.decode("latin-1").strip()
        if lowered == b"authorization" and value[:7].lower() == b"bearer ":
            bearer = value[7:].decode("latin-1").strip() or None
    if "private_token" in query:
        for key, text in parse_qsl(query):
            if key == "private_token" and text:
                return text.strip()
    return bearer


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class RateLimits:
    """The throttle and its counts (thread-safe). ``limit`` 0 is off; :meth:`configure`
    changes it at any time (a test can switch it on after start-up)."""

    def __init__(self, limit: int = 0, period: int = 60) -> None:
        self._lock = threading.Lock()
        self.limit = 0
        self.period = 60
        self.configure(limit, period)
        #: digest -> window start -> [requests, throttled]
        self._counts: dict[str, dict[int, list[int]]] = {}

    def configure(self, limit: int, period: int = 60) -> None:
        """Allow ``limit`` requests per credential per ``period`` seconds (0: no throttle)."""
        if limit < 0 or period < 1:
            raise ValueError("the limit must be 0 or more and the period at least 1 second")
        with self._lock:
            self.limit = limit
            self.period = period

    def check(self, credential: str | None, now: datetime) -> Verdict | None:
        """Count a request made at ``now`` with ``credential``; None when not throttled at
        all (off, or no credential)."""
        if credential is None:
            return None
        with self._lock:
            limit, period = self.limit, self.period
            if limit <= 0:
                return None
            epoch = int(now.timestamp())
            start = epoch - epoch % period
            window = self._counts.setdefault(_digest(credential), {})
            counts = window.setdefault(start, [0, 0])
            counts[0] += 1
            observed = counts[0]
            throttled = observed > limit
            if throttled:
                counts[1] += 1
        retry_after = period - epoch % period
        reset = epoch + retry_after
        headers = {
            "RateLimit-Name": THROTTLE_NAME,
            "RateLimit-Limit": str(math.ceil(limit * 60 / period)),
            "RateLimit-Observed": str(observed),
            "RateLimit-Remaining": str(max(limit - observed, 0)),
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": format_datetime(datetime.fromtimestamp(reset, UTC), usegmt=True),
        }
        if throttled:
            headers["Retry-After"] = str(retry_after)
        return Verdict(headers, throttled, retry_after)

    def windows(self, credential: str) -> list[WindowCount]:
        """The windows in which ``credential`` made requests, oldest first."""
        with self._lock:
            found = self._counts.get(_digest(credential), {})
            return [WindowCount(start, n, t) for start, (n, t) in sorted(found.items())]

    def most_in_a_window(self) -> int:
        """The most requests any credential made in one window (throttled ones included)."""
        with self._lock:
            return max(
                (n for window in self._counts.values() for n, _ in window.values()), default=0
            )

    def throttled(self) -> int:
        """How many requests were answered 429 by the throttle, all credentials together."""
        with self._lock:
            return sum(t for window in self._counts.values() for _, t in window.values())

    def reset(self) -> None:
        """Forget every count (the limit stays)."""
        with self._lock:
            self._counts.clear()
