"""Pacing requests under GitLab's rate limits (gitlab-api.md §1.5, §7.7): the client's side.

GitLab's authenticated API throttle (Rack::Attack) counts a user's requests in fixed windows
and, while it is on, says on every answer how much is left: ``RateLimit-Observed`` (requests
counted in this window), ``RateLimit-Remaining`` and ``RateLimit-Reset`` (epoch seconds of the
window's end). :class:`RateGate` reads them and holds requests back *before* GitLab would
answer 429:

* It keeps a lower bound of the requests still allowed in the current window: the last
  ``Remaining`` minus every request in flight when that answer arrived (those may not have
  been counted yet) minus every request sent since. A late answer from the same window can
  only raise the bound (each one is a safe bound); one from an older window is ignored.
* When the bound reaches the reserve, further requests wait until the window's end.
* A new window's count is unknown (requests sent just before the reset may land in it): one
  request goes first, the others wait for its answer and the bound it brings.
* Before anything is known (the first requests of a client), at most
  :data:`UNKNOWN_IN_FLIGHT` requests go out together; an answer without the headers (GitLab
  without a throttle, most self-managed instances) lifts every hold.
* ``max_rate`` (requests per second) spaces requests evenly, whatever GitLab says.

Answers 429 are still possible (another client of the same user, application limits without
headers): the retry policy (``retry.py``) waits ``Retry-After`` and the retried read comes
back through the gate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
#: ``on_hold(delay_seconds, reason)``: a request is about to wait for the limit to reset.
HoldHook = Callable[[float, str], None]

#: Requests in flight together before any answer said whether a throttle applies.
UNKNOWN_IN_FLIGHT = 4
#: Waiting past the window's end by this much absorbs a small clock difference with GitLab.
RESET_MARGIN = 0.25
#: The longest a request waits for a window's end before one request goes to see (GitLab's
#: throttle windows are a minute; a self-managed one may be an hour).
MAX_HOLD = 65.0
#: Requests left unused in each window (a share of it), for the user's other tools.
RESERVE_SHARE = 0.02


@dataclass(frozen=True, slots=True)
class Budget:
    """What one answer said: requests counted and left in the window, and its end (epoch)."""

    observed: int | None
    remaining: int
    reset: float

    @property
    def window(self) -> int | None:
        """Requests allowed per window (``observed + remaining`` while some are left)."""
        if self.observed is None or self.remaining <= 0:
            return None
        return self.observed + self.remaining


def budget_from(headers: httpx.Headers) -> Budget | None:
    """The ``RateLimit-*`` headers of an answer, or None when it has none (or they are not
    numbers)."""
    try:
        remaining = int(headers["ratelimit-remaining"])
        reset = float(headers["ratelimit-reset"])
    except (KeyError, ValueError):
        return None
    observed_text = headers.get("ratelimit-observed", "")
    observed = int(observed_text) if observed_text.strip().isdigit() else None
    return Budget(observed, max(remaining, 0), reset)


@dataclass(slots=True)
class Ticket:
    """One request let through the gate (give it back with :meth:`RateGate.leave`)."""

    probe: bool = False


class RateGate:
    """Holds requests back to stay inside GitLab's rate limit and ``max_rate`` (see the module
    docstring). One per client; asyncio only (no locks: nothing here awaits between a
    decision and its bookkeeping)."""

    def __init__(self, *, clock: Clock, sleep: Sleep, max_rate: float | None = None) -> None:
        if max_rate is not None and not max_rate > 0:
            raise ValueError("max_rate must be a positive number of requests per second")
        self._clock = clock
        self._sleep = sleep
        self.max_rate = max_rate
        self.in_flight = 0
        #: False until an answer says whether a throttle applies; True: none does.
        self._known = False
        self._unlimited = False
        self._reset: float | None = None
        self._left = 0  # lower bound of requests still allowed in the window ending at _reset
        self._window: int | None = None
        self._probe_out = False
        self._next_slot = 0.0
        #: The end of the last hold slept through: time has passed at least that far, whatever
        #: the clock says (an injected ``sleep`` may not wait at all).
        self._slept_until = 0.0
        self._waiters: list[asyncio.Future[None]] = []

    # -- the two calls around every request ---------------------------------------------------
    async def enter(
        self, on_hold: HoldHook | None = None, *, hold: bool = True, max_hold: float = MAX_HOLD
    ) -> Ticket:
        """Wait until a request may be sent, and count it as sent. ``on_hold`` is told once
        when the request waits for the window's end. A window said to end more than
        ``max_hold`` seconds away is waited on that long, then taken as over (one request goes
        to learn where GitLab stands; a 429 is the retry policy's business). ``hold=False``:
        no wait for the window (a read retried after GitLab's own ``Retry-After`` waited)."""
        announced = False
        while hold:
            wait = self._decide()
            if wait is None:
                break
            delay, reason = wait
            if delay is None:
                await self._next_answer()
                continue
            capped = delay > max_hold
            delay = min(delay, max_hold)
            if on_hold is not None and not announced:
                announced = True
                on_hold(delay, reason)
            target = self._now() + delay
            await self._sleep(delay)
            self._slept_until = max(self._slept_until, target)
            if capped and self._reset is not None:
                self._reset = min(self._reset, self._now() - RESET_MARGIN)
        ticket = Ticket()
        if self._known and not self._unlimited and self._reset is not None:
            if self._now() >= self._reset + RESET_MARGIN and not self._probe_out:
                ticket.probe = self._probe_out = True  # the first of a new window
            else:
                self._left -= 1
        self.in_flight += 1
        if self.max_rate is not None:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1 / self.max_rate
            if slot > now:
                try:
                    await self._sleep(slot - now)
                except BaseException:  # cancelled while spaced out: it was never sent
                    self.leave(ticket, None)
                    raise
        return ticket

    def leave(self, ticket: Ticket, headers: httpx.Headers | None, *, ok: bool = False) -> None:
        """The request is over: ``headers`` of its answer (None when there was none), ``ok``
        when it was a success."""
        self.in_flight -= 1
        budget = budget_from(headers) if headers is not None else None
        if ticket.probe:
            self._probe_out = False
        if budget is not None:
            self._learn(budget)
        elif ok:
            # A success without the headers: no throttle applies (or no longer: self-managed
            # GitLab may send them only with its 429s).
            self._known, self._unlimited, self._reset = True, True, None
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    # -- the rules ----------------------------------------------------------------------------
    def _decide(self) -> tuple[float | None, str] | None:
        """None: go. ``(None, why)``: wait for the next answer. ``(seconds, why)``: sleep."""
        if not self._known:
            if self.in_flight < UNKNOWN_IN_FLIGHT:
                return None
            return None, "waiting for GitLab to say its rate limit"
        if self._unlimited or self._reset is None:
            return None
        now = self._now()
        if now >= self._reset + RESET_MARGIN:
            if self._probe_out:
                return None, "waiting for the first answer of the new rate-limit window"
            return None
        if self._left > self._reserve():
            return None
        delay = self._reset + RESET_MARGIN - now
        window = f" of {self._window}" if self._window else ""
        return (
            delay,
            f"GitLab's rate limit is nearly used up ({max(self._left, 0)}{window} requests "
            f"left in this window); holding requests {delay:.1f} s until it resets",
        )

    def _now(self) -> float:
        return max(self._clock(), self._slept_until)

    def _reserve(self) -> int:
        return int(self._window * RESERVE_SHARE) if self._window else 0

    def _learn(self, budget: Budget) -> None:
        left = budget.remaining - self.in_flight
        if not self._known or self._unlimited or self._reset is None or budget.reset > self._reset:
            self._known, self._unlimited = True, False
            self._reset, self._left = budget.reset, left
        elif budget.reset == self._reset:
            self._left = max(self._left, left)
        else:
            return  # an answer from an older window, arriving late
        if budget.window is not None:
            self._window = budget.window

    async def _next_answer(self) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter
