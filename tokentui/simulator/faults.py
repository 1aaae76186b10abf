"""Fault injection (latency, 5xx, 429 bursts, dropped connections, a proxy's error pages) and
the request log."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request the simulator received. ``status`` is 0 when the connection was dropped
    before any answer; ``dropped`` is True whenever the client got no response."""

    method: str
    path: str
    query: str
    status: int
    dropped: bool = False
    #: The client's end of the TCP connection (``host:port``; empty without one, e.g. ASGI
    #: in process): requests with the same value came over one kept-alive connection. Not
    #: compared: a request is the same request over any connection.
    connection: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one request."""

    latency_s: float = 0.0
    status: int | None = None  # answer with this error instead of handling
    retry_after: int | None = 1
    #: A 429 of an application rate limit (JSON, no RateLimit-* headers) rather than
    #: Rack::Attack's.
    app_limit: bool = False
    drop_before: bool = False  # drop without handling
    drop_after: bool = False  # handle (the write happens), then drop
    #: Answer with a proxy's HTML error page of this status (502, 504), after handling the
    #: request (``proxy_after``: the write happens, its answer is lost) or without.
    proxy_status: int | None = None
    proxy_after: bool = False


@dataclass(slots=True)
class _DropRule:
    method: str
    path: re.Pattern[str]
    remaining: int


@dataclass(slots=True)
class _AppLimitRule:
    path: re.Pattern[str]
    remaining: int | None  # None: every matching request
    retry_after: int | None


@dataclass(slots=True)
class _ProxyRule:
    method: str
    path: re.Pattern[str]
    status: int
    after_action: bool
    remaining: int | None  # None: every matching request

    def take(self, method: str, path: str) -> bool:
        if self.remaining == 0 or self.method != method or not self.path.search(path):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


#: Statuses :meth:`Faults.proxy_error` can answer with (a proxy in front of Puma).
PROXY_STATUSES = (502, 503, 504)


class Faults:
    """Fault settings, safe to change from any thread while the server runs.

    ``latency_ms`` delays every request; ``fail_rate`` answers that fraction with a 500/502/503
    (nothing handled); ``throttle_rate`` answers that fraction with Rack::Attack's 429
    (``Retry-After: throttle_retry_after``, nothing handled); ``drop_rate`` drops that
    fraction of connections (nothing handled); :meth:`burst_429` throttles the next requests;
    :meth:`app_limit` answers matching requests with an application rate limit's 429 (JSON, no
    ``RateLimit-*`` headers); :meth:`drop_after_action` lets matching
    requests happen and then loses their response; :meth:`proxy_error` answers matching
    requests with a proxy's HTML error page, after or without performing them.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        latency_ms: float = 0.0,
        fail_rate: float = 0.0,
        drop_rate: float = 0.0,
    ) -> None:
        self.latency_ms = latency_ms
        self.fail_rate = fail_rate
        self.drop_rate = drop_rate
        self.throttle_rate = 0.0
        self.throttle_retry_after = 1
        self._rng = random.Random(seed ^ 0x5EED)
        self._lock = threading.Lock()
        self._burst = 0
        self._burst_retry_after = 1
        self._drop_rules: list[_DropRule] = []
        self._proxy_rules: list[_ProxyRule] = []
        self._app_limits: list[_AppLimitRule] = []
        self._slow_rules: list[tuple[re.Pattern[str], float]] = []

    def burst_429(self, count: int, retry_after: int = 1) -> None:
        """Answer the next ``count`` requests with Rack::Attack's 429 (``Retry-After``)."""
        with self._lock:
            self._burst = count
            self._burst_retry_after = retry_after

    def app_limit(
        self, path_regex: str, *, times: int | None = 1, retry_after: int | None = None
    ) -> None:
        """For the next ``times`` requests (None: all) whose path matches ``path_regex``
        (``re.search``), answer like an application rate limit (``GET /projects`` has one,
        §7.7): 429 ``{"message":{"error":"This endpoint has been requested too many times.
        Try again later."}}``, no ``RateLimit-*`` headers, ``Retry-After`` only when given (as
        GitLab 18.5+ sends it). Nothing is handled."""
        with self._lock:
            self._app_limits.append(_AppLimitRule(re.compile(path_regex), times, retry_after))

    def drop_after_action(self, method: str, path_regex: str, times: int = 1) -> None:
        """For the next ``times`` requests whose method is ``method`` and whose path matches
        ``path_regex`` (``re.search``): perform the request, then drop the connection."""
        with self._lock:
            self._drop_rules.append(_DropRule(method.upper(), re.compile(path_regex), times))

    def proxy_error(
        self,
        method: str,
        path_regex: str,
        status: int = 502,
        *,
        after_action: bool = True,
        times: int | None = 1,
    ) -> None:
        """For the next ``times`` requests (None: all) whose method is ``method`` and whose
        path matches ``path_regex`` (``re.search``), answer like NGINX in front of a stuck
        Puma: an HTML page titled e.g. ``502 Bad Gateway``. With ``after_action`` the request
        is performed first (the write happens, its answer is lost); without, it is not."""
        if status not in PROXY_STATUSES:
            raise ValueError(f"a proxy error is one of {PROXY_STATUSES}, not {status}")
        rule = _ProxyRule(method.upper(), re.compile(path_regex), status, after_action, times)
        with self._lock:
            self._proxy_rules.append(rule)

    def slow_down(self, path_regex: str, extra_ms: float) -> None:
        """Delay requests whose path matches ``path_regex`` (``re.search``) by ``extra_ms``
        more than the others (to see which requests a client sends without waiting)."""
        with self._lock:
            self._slow_rules.append((re.compile(path_regex), extra_ms / 1000))

    def reset(self) -> None:
        """No faults at all."""
        with self._lock:
            self.latency_ms = 0.0
            self.fail_rate = 0.0
            self.drop_rate = 0.0
            self.throttle_rate = 0.0
            self._burst = 0
            self._app_limits.clear()
            self._drop_rules.clear()
            self._proxy_rules.clear()
            self._slow_rules.clear()

    def decide(self, method: str, path: str) -> Decision:
        """The fate of one request."""
        with self._lock:
            latency = max(self.latency_ms, 0.0) / 1000
            latency += sum(extra for rule, extra in self._slow_rules if rule.search(path))
            if self._burst > 0:
                self._burst -= 1
                return Decision(latency, status=429, retry_after=self._burst_retry_after)
            for limit in self._app_limits:
                if limit.remaining != 0 and limit.path.search(path):
                    if limit.remaining is not None:
                        limit.remaining -= 1
                    return Decision(
                        latency, status=429, retry_after=limit.retry_after, app_limit=True
                    )
            if self.drop_rate and self._rng.random() < self.drop_rate:
                return Decision(latency, drop_before=True)
            if self.throttle_rate and self._rng.random() < self.throttle_rate:
                return Decision(latency, status=429, retry_after=self.throttle_retry_after)
            if self.fail_rate and self._rng.random() < self.fail_rate:
                return Decision(latency, status=self._rng.choice((500, 502, 503)))
            for rule in self._drop_rules:
                if rule.remaining > 0 and rule.method == method and rule.path.search(path):
                    rule.remaining -= 1
                    return Decision(latency, drop_after=True)
            for proxy in self._proxy_rules:
                if proxy.take(method, path):
                    return Decision(
                        latency, proxy_status=proxy.status, proxy_after=proxy.after_action
                    )
            return Decision(latency)
